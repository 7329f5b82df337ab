package gateway

import (
	"net/http"
	"time"

	"livefeed/server/wsframe"
	"livefeed/shared/protocol"
)

// httpOut is the frame writer of an HTTP downlink: what the send path
// hands a WebSocket (frames made once per event, queued, batched by the
// writer) goes to an HTTP response instead, each message as a server-sent
// event, flushed once per batch with a write deadline. Its methods are
// called by one goroutine at a time: the connection's writer, or its
// refusal before it runs.
type httpOut struct {
	w         http.ResponseWriter
	rc        *http.ResponseController
	poll      bool
	continued bool   // a poll that is not the first of its connection (protocol.Downlink)
	epoch     string // the log's: every cursor carries it (protocol.FormatCursor)

	// cursor is the position of every feed as of the last message
	// written (the events' ids, so that Last-Event-ID resumes them all).
	cursor map[string]uint64
	buf    []byte
	// batched is closed after the first write of a poll that carried a
	// message that ends it (protocol.EndsPoll).
	batched     chan struct{}
	batchedDone bool
}

func newHTTPOut(w http.ResponseWriter, poll, continued bool, epoch string) *httpOut {
	return &httpOut{w: w, rc: http.NewResponseController(w), poll: poll, continued: continued, epoch: epoch,
		cursor: map[string]uint64{}, batched: make(chan struct{})}
}

// write writes frames (each one or more WebSocket text frames back to
// back) as server-sent events and flushes them, within timeout.
func (o *httpOut) write(frames [][]byte, timeout time.Duration) error {
	o.buf = o.buf[:0]
	ends := false
	for _, f := range frames {
		for len(f) > 0 {
			msg, rest, ok := wsframe.Next(f)
			if !ok {
				break // not a text frame: nothing else is queued here
			}
			f = rest
			id := ""
			typ, feed, pos, hasPos := protocol.PeekPosition(msg)
			if hasPos {
				o.cursor[feed] = pos
				id = protocol.FormatCursor(o.cursor, o.epoch)
			}
			ends = ends || protocol.EndsPoll(typ, o.continued)
			o.buf = protocol.AppendSSE(o.buf, id, msg)
		}
	}
	o.rc.SetWriteDeadline(time.Now().Add(timeout))
	_, err := o.w.Write(o.buf)
	if err == nil {
		err = o.rc.Flush()
	}
	if cap(o.buf) > 64<<10 {
		o.buf = nil
	}
	if ends && o.poll && !o.batchedDone {
		o.batchedDone = true
		close(o.batched)
	}
	return err
}

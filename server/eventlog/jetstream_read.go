package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Reading: one record, a feed's records, following the log, its bounds.

// Get implements Log.
func (j *JetStream) Get(ctx context.Context, seq uint64) (Record, error) {
	if j.isClosed() {
		return Record{}, ErrClosed
	}
	if seq == 0 {
		return Record{}, ErrNotFound
	}
	m, err := j.stream.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return Record{}, ErrNotFound
		}
		return Record{}, fmt.Errorf("eventlog: get %d: %w", seq, err)
	}
	if err := j.durable(ctx, m.Sequence); err != nil {
		return Record{}, fmt.Errorf("eventlog: get %d: %w", seq, err)
	}
	return Record{
		Seq:  m.Sequence,
		Feed: strings.TrimPrefix(m.Subject, j.prefix),
		Time: m.Time,
		Data: m.Data,
	}, nil
}

// record converts a message delivered by a consumer.
func (j *JetStream) record(m jetstream.Msg) (Record, *jetstream.MsgMetadata, error) {
	meta, err := m.Metadata()
	if err != nil {
		return Record{}, nil, fmt.Errorf("eventlog: message metadata: %w", err)
	}
	return Record{
		Seq:  meta.Sequence.Stream,
		Feed: strings.TrimPrefix(m.Subject(), j.prefix),
		Time: meta.Timestamp,
		Data: m.Data(),
	}, meta, nil
}

// deleteConsumer removes a finished ordered consumer instead of leaving it
// to the server's inactivity threshold.
func (j *JetStream) deleteConsumer(ctx context.Context, c jetstream.Consumer) {
	info := c.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = j.stream.DeleteConsumer(ctx, info.Name)
}

// ReadFeed implements Log. It reads with an ordered consumer filtered on the
// feed's subject, so records of other feeds are skipped by the server.
func (j *JetStream) ReadFeed(ctx context.Context, feed string, from, to uint64, fn func(Record) error) error {
	if err := checkFeed(feed); err != nil {
		return err
	}
	if j.isClosed() {
		return ErrClosed
	}
	from = max(from, 1)
	if to == 0 {
		info, err := j.stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("eventlog: read feed %s: stream info: %w", feed, err)
		}
		to = info.State.LastSeq
	}
	if from > to {
		return nil
	}

	wctx, cancel := j.watch(ctx)
	defer cancel()
	cons, err := j.stream.OrderedConsumer(wctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{j.prefix + feed},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    from,
	})
	if err != nil {
		if err := j.ctxErr(ctx); err != nil {
			return err
		}
		return fmt.Errorf("eventlog: read feed %s: create consumer: %w", feed, err)
	}
	defer j.deleteConsumer(ctx, cons)
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		return nil
	}
	// Buffer no more than the range can hold.
	batch := jetstream.PullMaxMessages(min(to-from+1, 256))
	it, err := cons.Messages(batch, jetstream.PullHeartbeat(orderedHeartbeat))
	if err != nil {
		return fmt.Errorf("eventlog: read feed %s: %w", feed, err)
	}
	defer it.Stop()
	for {
		nctx, ncancel := context.WithTimeout(wctx, readIdle)
		m, err := it.Next(jetstream.NextContext(nctx))
		ncancel()
		if err != nil {
			if err := j.ctxErr(ctx); err != nil {
				return err
			}
			if errors.Is(err, context.DeadlineExceeded) {
				// Idle: the remaining records may have been trimmed.
				info, ierr := cons.Info(wctx)
				if ierr != nil {
					return fmt.Errorf("eventlog: read feed %s: consumer info: %w", feed, ierr)
				}
				if info.NumPending == 0 {
					return nil
				}
				continue
			}
			return fmt.Errorf("eventlog: read feed %s: %w", feed, err)
		}
		r, meta, err := j.record(m)
		if err != nil {
			return err
		}
		if r.Seq > to {
			return nil
		}
		if err := j.durable(wctx, r.Seq); err != nil {
			if err := j.ctxErr(ctx); err != nil {
				return err
			}
			return fmt.Errorf("eventlog: read feed %s: %w", feed, err)
		}
		if err := fn(r); err != nil {
			return err
		}
		if r.Seq >= to || meta.NumPending == 0 {
			return nil
		}
	}
}

// Bounds implements Log.
func (j *JetStream) Bounds(ctx context.Context) (uint64, uint64, error) {
	if j.isClosed() {
		return 0, 0, ErrClosed
	}
	info, err := j.stream.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("eventlog: bounds: %w", err)
	}
	st := info.State
	if err := j.durable(ctx, st.LastSeq); err != nil {
		return 0, 0, fmt.Errorf("eventlog: bounds: %w", err)
	}
	if st.Msgs == 0 {
		return st.LastSeq + 1, st.LastSeq, nil
	}
	return st.FirstSeq, st.LastSeq, nil
}

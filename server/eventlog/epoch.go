package eventlog

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// A log's epoch tells it apart from any other log, among them the same
// log recreated after its data was wiped or restored from a backup: their
// positions overlap, so a client's position means nothing in a log of
// another epoch (see Log.Epoch).

// epochKey is the stream metadata key holding the random part of the
// epoch, set once when the stream is created and never changed.
const epochKey = "livefeed_epoch"

// newEpochID returns a random epoch id (64 bits, hex).
func newEpochID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// epochOf returns the epoch of a stream: the random id of its metadata and
// its creation time. The time changes when a stream is restored from a
// backup (the restored stream is created anew, with the metadata of the
// old one), and a stream made before epochs existed has no id but its time.
func epochOf(info *jetstream.StreamInfo) string {
	return info.Config.Metadata[epochKey] + "." + strconv.FormatInt(info.Created.UnixNano(), 36)
}

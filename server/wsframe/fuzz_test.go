package wsframe

import (
	"bytes"
	"testing"
)

// FuzzFrame: any payload frames into one final unmasked text frame whose
// header says its length (each length encoding, 7, 16 and 64 bits), and
// Payload gives the payload back; frames appended back to back split again.
func FuzzFrame(f *testing.F) {
	for _, n := range []int{0, 1, 125, 126, 127, 0xFFFF, 0x10000} {
		f.Add(bytes.Repeat([]byte("x"), n), 3)
	}
	f.Fuzz(func(t *testing.T, payload []byte, cut int) {
		fr := Text(payload)
		if fr[0] != 0x81 || fr[1]&0x80 != 0 {
			t.Fatalf("header %x", fr[:2])
		}
		got, ok := Payload(fr)
		if !ok || !bytes.Equal(got, payload) {
			t.Fatalf("Payload of a %d-byte frame: %v, %d bytes", len(payload), ok, len(got))
		}
		if len(payload) > 0 {
			// A frame cut short is not a frame.
			c := 1 + (cut%len(fr)+len(fr))%len(fr)
			if c < len(fr) {
				if _, ok := Payload(fr[:c]); ok {
					t.Fatalf("a frame cut at %d of %d parsed", c, len(fr))
				}
			}
		}
		two := AppendText(Text(payload), payload)
		if len(two) != 2*len(fr) || !bytes.Equal(two[len(fr):], fr) {
			t.Fatal("frames appended back to back differ from the frame")
		}
	})
}

// FuzzNext: a run of frames of any payloads splits back into them, in order.
func FuzzNext(f *testing.F) {
	f.Add([]byte("ab"), 1, 126)
	f.Fuzz(func(t *testing.T, payload []byte, a, b int) {
		sizes := []int{(a%200 + 200) % 200, (b%70000 + 70000) % 70000, 0}
		var run []byte
		for _, n := range sizes {
			run = AppendText(run, bytes.Repeat(payload, 1)[:min(n, len(payload))])
		}
		for _, n := range sizes {
			p, rest, ok := Next(run)
			if !ok || !bytes.Equal(p, payload[:min(n, len(payload))]) {
				t.Fatalf("frame of %d: ok %v, %d bytes", n, ok, len(p))
			}
			run = rest
		}
		if len(run) != 0 {
			t.Fatalf("%d bytes left", len(run))
		}
		if _, _, ok := Next(nil); ok {
			t.Fatal("an empty run split")
		}
	})
}

// Package wsframe builds the WebSocket frames the server sends (RFC 6455
// section 5.2: unmasked, one frame per message). An event is framed once and
// the same bytes are written to every subscriber's socket, instead of each
// connection framing (and copying) it again.
package wsframe

// MaxHeader is the longest frame header: 2 bytes, plus 8 for a 64-bit length.
const MaxHeader = 10

// Text returns payload as one final, unmasked text frame (header followed by
// a copy of payload).
func Text(payload []byte) []byte {
	return AppendText(make([]byte, 0, MaxHeader+len(payload)), payload)
}

// AppendText appends payload to b as one final, unmasked text frame and
// returns the extended buffer. Frames appended back to back are a valid
// stream: a run of them is sent with one write.
func AppendText(b, payload []byte) []byte {
	return appendFrame(b, 0x1, payload)
}

// Ping returns a ping frame with no payload (RFC 6455 section 5.5.2).
func Ping() []byte { return appendFrame(make([]byte, 0, 2), 0x9, nil) }

// appendFrame appends a final frame with opcode op.
func appendFrame(b []byte, op byte, payload []byte) []byte {
	n := len(payload)
	b = append(b, 0x80|op) // FIN, no RSV bits (uncompressed), opcode
	switch {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, byte(uint64(n)>>56), byte(uint64(n)>>48), byte(uint64(n)>>40), byte(uint64(n)>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}

// Payload returns the payload of a frame made by Text, and whether b is one.
func Payload(b []byte) ([]byte, bool) {
	p, rest, ok := Next(b)
	if !ok || len(rest) > 0 {
		return nil, false
	}
	return p, true
}

// Next splits the first frame off a run of frames appended back to back
// (a text frame made by Text or AppendText): its payload, the rest of the
// run, and whether b starts with a whole text frame.
func Next(b []byte) (payload, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != 0x81 || b[1]&0x80 != 0 {
		return nil, nil, false
	}
	n, h := uint64(b[1]), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return nil, nil, false
		}
		n, h = uint64(b[2])<<8|uint64(b[3]), 4
	case 127:
		if len(b) < 10 {
			return nil, nil, false
		}
		n, h = 0, 10
		for _, c := range b[2:10] {
			n = n<<8 | uint64(c)
		}
	}
	if uint64(len(b)-h) < n {
		return nil, nil, false
	}
	end := h + int(n)
	return b[h:end], b[end:], true
}

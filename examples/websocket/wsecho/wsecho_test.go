package wsecho

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf8"
)

// TestWebSocketFrame_AcceptKey checks the sample of RFC 6455 §1.3.
func TestWebSocketFrame_AcceptKey(t *testing.T) {
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey = %q", got)
	}
}

// clientFrame encodes a masked client frame with an explicit length code.
func clientFrame(b0 byte, payload []byte, lenCode byte) []byte {
	b := []byte{b0, 0x80 | lenCode}
	switch lenCode {
	case 126:
		b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	case 127:
		b = binary.BigEndian.AppendUint64(b, uint64(len(payload)))
	}
	key := [4]byte{1, 2, 3, 4}
	b = append(b, key[:]...)
	for i, c := range payload {
		b = append(b, c^key[i&3])
	}
	return b
}

// TestWebSocketFrame_ReadFrame reads valid and invalid client frame headers and unmasks payloads.
func TestWebSocketFrame_ReadFrame(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 7000)
	tests := []struct {
		name    string
		frame   []byte
		payload []byte // the unmasked payload of a valid frame
		code    int    // the close code of an invalid one
	}{
		{"short text", clientFrame(0x81, []byte("hi"), 2), []byte("hi"), 0},
		{"16-bit length", clientFrame(0x82, big[:200], 126), big[:200], 0},
		{"64-bit length", clientFrame(0x82, big, 127), big, 0},
		{"16-bit length for 5 bytes", clientFrame(0x81, []byte("hello"), 126), nil, CloseProtocolError},
		{"64-bit length for 200 bytes", clientFrame(0x82, big[:200], 127), nil, CloseProtocolError},
		{"RSV2", clientFrame(0x81|0x20, nil, 0), nil, CloseProtocolError},
		{"opcode 0x7", clientFrame(0x87, nil, 0), nil, CloseProtocolError},
		{"unfinished ping", clientFrame(0x09, nil, 0), nil, CloseProtocolError},
		{"unmasked", []byte{0x81, 0x01, 'x'}, nil, CloseProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReader(bytes.NewReader(tt.frame))
			h, err := readFrameHeader(br)
			if err != nil {
				t.Fatalf("readFrameHeader: %v", err)
			}
			err = h.validate()
			if tt.code != 0 {
				var pe *protocolError
				if !errors.As(err, &pe) || pe.code != tt.code {
					t.Errorf("validate: %v, want close code %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("validate: %v", err)
			}
			p, err := readPayload(br, h)
			if err != nil {
				t.Fatalf("readPayload: %v", err)
			}
			if !bytes.Equal(p, tt.payload) {
				t.Errorf("payload %q, want %q", p[:min(len(p), 20)], tt.payload[:min(len(tt.payload), 20)])
			}
		})
	}
}

// TestWebSocketFrame_AppendFrameLengths checks the 7-, 16- and 64-bit length encodings of server frames.
func TestWebSocketFrame_AppendFrameLengths(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xFFFF, 0x10000} {
		f := appendFrame(nil, opBinary, make([]byte, n))
		var header int
		switch {
		case n <= 125:
			header = 2
		case n <= 0xFFFF:
			header = 4
		default:
			header = 10
		}
		if len(f) != header+n || f[0] != 0x82 || f[1]&0x80 != 0 {
			t.Errorf("frame of %d bytes: length %d, head % x", n, len(f), f[:2])
		}
	}
}

// TestWebSocketFrame_ClosePayload checks that a long close reason is cut to a control frame, on a UTF-8 boundary.
func TestWebSocketFrame_ClosePayload(t *testing.T) {
	long := bytes.Repeat([]byte("é"), 100) // 200 bytes, 2 per rune
	p := closePayload(CloseNormal, string(long))
	if len(p) > maxControlPayload || !utf8.Valid(p[2:]) || binary.BigEndian.Uint16(p) != CloseNormal {
		t.Errorf("closePayload: %d bytes, valid UTF-8 %v", len(p), utf8.Valid(p[2:]))
	}
	if p := closePayload(closeNoStatus, "x"); len(p) != 0 {
		t.Errorf("close without status: % x", p)
	}
}

// TestWebSocketFrame_ParseClose checks close codes and reasons received from a client.
func TestWebSocketFrame_ParseClose(t *testing.T) {
	tests := []struct {
		payload []byte
		code    int // the code read, or the protocol error's
		valid   bool
	}{
		{nil, closeNoStatus, true},
		{[]byte{0x03, 0xE8}, 1000, true},
		{append([]byte{0x0F, 0xA1}, "bye"...), 4001, true},
		{[]byte{0x03}, CloseProtocolError, false},
		{[]byte{0x03, 0xED}, CloseProtocolError, false}, // 1005
		{[]byte{0x03, 0xEE}, CloseProtocolError, false}, // 1006
		{[]byte{0x0B, 0xB7}, CloseProtocolError, false}, // 2999
		{[]byte{0x03, 0xE8, 0xff}, CloseInvalidPayload, false},
	}
	for _, tt := range tests {
		code, _, err := parseClose(tt.payload)
		var pe *protocolError
		switch {
		case tt.valid && (err != nil || code != tt.code):
			t.Errorf("parseClose(% x) = %d, %v; want %d", tt.payload, code, err, tt.code)
		case !tt.valid && (!errors.As(err, &pe) || pe.code != tt.code):
			t.Errorf("parseClose(% x): %v, want close code %d", tt.payload, err, tt.code)
		}
	}
}

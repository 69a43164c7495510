package tinyhttp

import (
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/klauspost/compress/flate"
)

// The streaming compressor of a content-coded response body (compress.go
// decides when one is used): a reader that compresses the body step by
// step as the writer reads it, with pooled compressors.

// encodeBody replaces r's body with a reader of its compressed form. The
// original body is closed when the new one is.
func (r *Response) encodeBody(c coding, level int) {
	e := &encoder{coding: c, level: level, declared: r.length}
	switch r.kind {
	case bodyString:
		e.str = r.str
	case bodyBytes:
		e.data = r.data
	case bodyReader:
		e.orig = r.reader
		e.lim = io.LimitedReader{R: r.reader, N: math.MaxInt64} // cut below when the length is known
		if r.length >= 0 {
			e.lim.N = r.length
		}
	}
	if r.length >= 0 {
		e.str, e.data = e.str[:min(int64(len(e.str)), r.length)], e.data[:min(int64(len(e.data)), r.length)]
	}
	r.kind, r.reader, r.str, r.data, r.file = bodyReader, e, "", nil, nil
	r.length = -1
}

// encodeStep is how much of the body goes to the compressor at a time:
// 32 KiB, the deflate window, so that each step lets the compressor emit a
// block while the compressed bytes waiting to be read stay few.
const encodeStep = 32 << 10

// encoder reads a response body through a compressor: each Read hands out
// compressed bytes, feeding the compressor one step of the body when it has
// none left. It needs no goroutine and holds at most one step of input and
// the output of one step.
type encoder struct {
	coding   coding
	level    int
	str      string           // in-memory body not yet compressed (FromString)
	data     []byte           // in-memory body not yet compressed (FromData)
	orig     io.Reader        // streamed body, closed by Close; nil for in-memory ones
	lim      io.LimitedReader // orig, cut to the declared length
	declared int64            // the body's declared length, -1 unknown
	st       *encState        // compressor and buffers, from a pool; nil when done
	out      []byte           // compressed bytes not yet read (in st.out)
	err      error            // sticky: io.EOF once all is read, or the failure
}

// encState is the pooled part of an encoder: the compressor and its
// buffers, reused through Reset.
type encState struct {
	zw  resetWriter
	out sliceWriter // where zw writes
	in  []byte      // encodeStep bytes, to read a streamed body into
}

// resetWriter is a gzip or zlib writer.
type resetWriter interface {
	io.WriteCloser
	Reset(io.Writer)
}

// sliceWriter appends what is written to b.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// encPools holds encStates by coding (gzip, deflate) and level (1 to 9).
var encPools [2][flate.BestCompression + 1]sync.Pool

// getEncState takes a compressor for c at level from its pool, or makes one.
func getEncState(c coding, level int) *encState {
	pool := &encPools[c-codingGzip][level]
	if st, ok := pool.Get().(*encState); ok {
		st.zw.Reset(&st.out)
		return st
	}
	st := &encState{}
	var err error
	if c == codingGzip {
		st.zw, err = gzip.NewWriterLevel(&st.out, level)
	} else {
		st.zw, err = zlib.NewWriterLevel(&st.out, level)
	}
	if err != nil {
		panic(err) // level is 1–9, which both accept
	}
	return st
}

// putEncState returns st to its pool.
func putEncState(c coding, level int, st *encState) {
	st.zw.Reset(io.Discard) // forget the last stream's writer
	st.out.b = st.out.b[:0]
	encPools[c-codingGzip][level].Put(st)
}

// Read returns compressed bytes.
func (e *encoder) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.st == nil {
			e.st = getEncState(e.coding, e.level)
		}
		e.step()
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	if len(e.out) == 0 && e.err == io.EOF {
		e.release()
	}
	return n, nil
}

// step feeds the compressor one step of the body, or closes it at the end.
func (e *encoder) step() {
	st := e.st
	st.out.b = st.out.b[:0]
	if st.in == nil && e.data == nil {
		st.in = make([]byte, encodeStep)
	}
	var err error
	switch {
	case e.str != "":
		n := copy(st.in, e.str) // the compressors have no WriteString
		_, err = st.zw.Write(st.in[:n])
		e.str = e.str[n:]
	case len(e.data) > 0:
		n := min(len(e.data), encodeStep)
		_, err = st.zw.Write(e.data[:n])
		e.data = e.data[n:]
	case e.orig != nil:
		var n int
		n, err = e.lim.Read(st.in)
		if n > 0 {
			if _, werr := st.zw.Write(st.in[:n]); werr != nil {
				err = werr
			}
		}
		if err == io.EOF {
			err = e.checkLength()
			if err == nil {
				err = st.zw.Close()
				e.orig = nil
				e.err = io.EOF
			}
		}
	default:
		err = st.zw.Close()
		e.err = io.EOF
	}
	if err != nil && err != io.EOF {
		e.err = err
	}
	e.out = st.out.b
}

// checkLength reports a streamed body that ended before, or went on past,
// its declared length, as the uncompressed writer does.
func (e *encoder) checkLength() error {
	if e.declared < 0 {
		return nil
	}
	if e.lim.N > 0 {
		return fmt.Errorf("%w: %d bytes for a declared %d", ErrBodyLength, e.declared-e.lim.N, e.declared)
	}
	var probe [1]byte
	if m, _ := io.ReadFull(e.lim.R, probe[:]); m > 0 {
		return fmt.Errorf("%w: more than the declared %d bytes", ErrBodyLength, e.declared)
	}
	return nil
}

// release returns the compressor to its pool.
func (e *encoder) release() {
	if e.st != nil {
		putEncState(e.coding, e.level, e.st)
		e.st, e.out = nil, nil
	}
}

// Close closes the original body and releases the compressor; the encoder
// reads nothing more.
func (e *encoder) Close() error {
	var err error
	if c, ok := e.lim.R.(io.Closer); ok {
		err = c.Close()
	}
	e.release()
	e.lim.R, e.orig, e.str, e.data = nil, nil, "", nil
	if e.err == nil {
		e.err = io.ErrClosedPipe
	}
	return err
}

package tinyhttp

// File responses: validators, conditional requests and ranges for FromFile
// responses (CONFORMANCE.md §4), and ServeFile.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp/internal/httpfile"
)

// fileHeaderRoom is how many header fields applyFileConditions may add to a
// response: ETag, Last-Modified, Accept-Ranges, Content-Type, Content-Range
// and Vary. The header slice grows once, to hold them all.
const fileHeaderRoom = 6

// fileValueBuf is the size of the stack buffer the ETag and Last-Modified
// values (35 and 29 bytes at most) are built in before they become one
// string, and then the Content-Range value (at most 65 bytes: "bytes " and
// three 19-digit numbers); rounded up.
const fileValueBuf = 96

// applyFileConditions returns the response to send for the FromFile response
// resp answering r, the request of exchange x, under compression policy p:
// the same response, changed in place (a Response is used once), or a new
// one when the file cannot be read.
//
// It acts only on a 200 response whose body is still the regular file given
// to FromFile, with a known size; any other response is returned as it is. It
// adds a strong ETag (unless the application set one, which is then the
// validator), Last-Modified (unless unknown, see httpfile.KnownModTime, or
// set by the application) and "Accept-Ranges: bytes", then evaluates the
// request's If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since,
// If-Range and Range fields with httpfile.Evaluate:
//
//   - 200: the whole file, with a Content-Type from the file name's
//     extension, or sniffed from its first 512 bytes (read with ReadAt, so
//     the file offset does not move), unless the application set one.
//   - 206 with one range: Content-Range, and the file itself seeked to the
//     range, so that the body goes out with sendfile on plain TCP and a file
//     that shrank is caught by the length check.
//   - 206 with several ranges: a multipart/byteranges body with an exact
//     Content-Length (the response is aborted with httpfile.ErrShortFile if
//     the file shrank).
//   - 304, 412 and 416 (with "Content-Range: bytes */size"): no
//     representation; the file is closed at once and Content-Type dropped.
//     A 304 carries the ETag but not Last-Modified (RFC 9110 §15.4.5).
//
// When the 200 would be content-coded (compress.go), a 304 or 412 stands
// for that 200's representation: it carries its "Vary: Accept-Encoding"
// and, if the client accepts a coding, its weak ETag and no Accept-Ranges
// (codedFile.describe). A 206 carries the Vary too (RFC 9110 §15.3.7),
// and the strong ETag: ranges are of the uncoded representation.
//
// An application that sets "Accept-Ranges: none" (or any value without
// "bytes") disables ranges for the response; one that sets Content-Range
// itself gets no file handling at all. A Content-Length set by the
// application is taken as the size of the file.
//
// A file response is sent with Content-Length whatever its size (see
// FromFile).
func applyFileConditions(r *Request, resp *Response, x *exchange, p *compressPolicy) *Response {
	f := resp.file
	if resp.status != StatusOK || f == nil || resp.kind != bodyReader || resp.reader != io.Reader(f) || resp.length < 0 {
		return resp
	}
	var (
		appETag, appLastMod string
		hasETag, hasLastMod bool
		hasType, noRanges   bool
	)
	for _, h := range resp.headers {
		switch {
		case h.Field.Equal("ETag"):
			appETag, hasETag = h.Value, true
		case h.Field.Equal("Last-Modified"):
			appLastMod, hasLastMod = h.Value, true
		case h.Field.Equal("Content-Type"):
			hasType = true
		case h.Field.Equal("Accept-Ranges"):
			noRanges = noRanges || !valueHasToken(h.Value, "bytes")
		case h.Field.Equal("Content-Range"):
			return resp // the application does ranges itself
		}
	}
	size := resp.length

	// The validators. ETag comes from the raw modification time; the dates
	// compared and sent are clamped to now (RFC 9110 §8.8.2.1).
	var buf [fileValueBuf]byte
	vals := buf[:0]
	if !hasETag {
		vals = httpfile.AppendETag(vals, size, resp.modTime)
	}
	etagEnd := len(vals)
	modTime := httpfile.ClampModTime(resp.modTime, time.Now())
	if hasLastMod {
		t, ok := httpfile.ParseHTTPDate(trimOWS(appLastMod))
		if !ok {
			t = time.Time{} // unknown: date conditions are ignored
		}
		modTime = t
	}
	knownMod := httpfile.KnownModTime(modTime)
	if knownMod && !hasLastMod {
		vals = httpfile.AppendHTTPDate(vals, modTime)
	}
	lastModEnd := len(vals)

	// One string holds the validators added; the header fields are slices of it.
	vs := string(vals)
	etag := appETag
	if !hasETag {
		etag = vs[:etagEnd]
	}
	conds := fileConditions(r.Headers())
	if noRanges {
		conds.Range = ""
	}
	d := httpfile.Evaluate(string(r.head.method), conds, etag, modTime, size)

	if cap(resp.headers)-len(resp.headers) < fileHeaderRoom {
		// By hand: slices.Grow allocates twice under the race detector.
		hs := make([]Header, len(resp.headers), len(resp.headers)+fileHeaderRoom)
		copy(hs, resp.headers)
		resp.headers = hs
	}
	var cf codedFile
	if (d.Status != 200 && d.Status != 416) || conds.IfMatch != "" {
		// Only these answers depend on the 200's coding: a 200 without
		// If-Match is coded later, by applyContentCoding, and a 416 is not.
		cf, hasType = planFileCoding(resp, f, hasType, x, p)
		if d.Status == 200 && cf.weakens(etag) {
			d = checkCodedIfMatch(string(r.head.method), conds.IfMatch, etag, modTime, d)
		}
	}
	if !hasETag {
		resp.headers = append(resp.headers, Header{Field: "ETag", Value: etag})
	}
	if lastModEnd > etagEnd && d.Status != 304 {
		resp.headers = append(resp.headers, Header{Field: "Last-Modified", Value: vs[etagEnd:lastModEnd]})
	}
	if !noRanges {
		resp.headers = append(resp.headers, Header{Field: "Accept-Ranges", Value: "bytes"})
	}
	if cr := d.AppendContentRange(buf[:0]); len(cr) > 0 {
		resp.headers = append(resp.headers, Header{Field: "Content-Range", Value: string(cr)})
	}

	switch d.Status {
	case 304, 412, 416:
		f.Close()
		resp.file = nil
		resp.setReader(nil, 0)
		resp.status = StatusCode(d.Status)
		resp.headers = slices.DeleteFunc(resp.headers, func(h Header) bool { return h.Field.Equal("Content-Type") })
		cf.describe(resp)
		return resp
	}
	ctype := ""
	if !hasType || d.Multipart() {
		ctype = fileContentType(resp, f)
	}
	switch {
	case d.Multipart():
		// A copy, so that d (which holds a single range in itself) stays on the stack.
		ranges := slices.Clone(d.Ranges())
		body, err := httpfile.NewMultipartBody(f, size, ctype, ranges, httpfile.NewBoundary())
		if err != nil { // cannot happen: Evaluate's ranges are within size, the boundary is valid
			f.Close()
			return Empty(StatusInternalServerError)
		}
		resp.status = StatusPartialContent
		resp.file = nil // not a plain file any more: the parts go through the buffer
		resp.setReader(multipartFile{body, f}, body.Len())
		resp.WithHeader(Header{Field: "Content-Type", Value: body.ContentType()})
	case d.Status == 206:
		rg := d.Ranges()[0]
		if _, err := f.Seek(rg.First, io.SeekStart); err != nil {
			f.Close()
			return Empty(StatusInternalServerError)
		}
		resp.status = StatusPartialContent
		resp.length = rg.Length()
		fallthrough
	default:
		if !hasType {
			resp.headers = append(resp.headers, Header{Field: "Content-Type", Value: ctype})
		}
	}
	cf.describe(resp)
	return resp
}

// codedFile is how the 200 carrying a file response's whole file would be
// content-coded for the request it answers (see codingFor): whether it is
// compressible, and the coding the client gets.
type codedFile struct {
	compressible bool
	c            coding
}

// planFileCoding returns how the 200 carrying resp's whole file would be
// content-coded for exchange x under policy p. resp must still be that 200.
// The policy judges by media type, so unless typed (resp has a
// Content-Type) the one the 200 would get is added to resp first; it
// returns whether resp has a Content-Type now.
func planFileCoding(resp *Response, f *os.File, typed bool, x *exchange, p *compressPolicy) (codedFile, bool) {
	if !resp.compress && p == nil {
		return codedFile{}, typed
	}
	if !typed && !resp.compress {
		resp.headers = append(resp.headers, Header{Field: "Content-Type", Value: fileContentType(resp, f)})
		typed = true
	}
	var cf codedFile
	cf.compressible, cf.c = codingFor(resp, x, p)
	return cf, typed
}

// weakens reports whether the coded representation's ETag is the weak form
// of etag, a strong one (markCodedVariant).
func (cf codedFile) weakens(etag string) bool {
	return cf.c != codingIdentity && strings.HasPrefix(etag, `"`)
}

// checkCodedIfMatch returns d, a 200 decided with the strong etag, or a 412
// when the request's If-Match field ifMatch fails against the weak ETag the
// coded 200 carries instead: If-Match's strong comparison never matches a
// weak entity-tag, so only "*" passes (RFC 9110 §13.1.1).
func checkCodedIfMatch(method, ifMatch, etag string, modTime time.Time, d httpfile.Decision) httpfile.Decision {
	if ifMatch == "" {
		return d
	}
	weak := httpfile.Evaluate(method, httpfile.Conditions{IfMatch: ifMatch}, weakETag(etag), modTime, d.Size)
	if weak.Status == 412 {
		return weak
	}
	return d
}

// describe gives resp, answering for the file, the fields the coded 200
// would have carried (RFC 9110 §15.3.7, §15.4.5): "Vary: Accept-Encoding",
// and, for a 304 or 412 when the client gets a coding, the weak ETag and no
// Accept-Ranges, but no Content-Encoding (they have no content). A 206 is a
// range of the uncoded representation and keeps the strong ETag. Other
// answers are left as they are: a 200 is coded by applyContentCoding, a
// 416 describes no representation.
func (cf codedFile) describe(resp *Response) {
	if !cf.compressible {
		return
	}
	switch resp.status {
	case StatusNotModified, StatusPreconditionFailed:
		resp.addVaryAcceptEncoding()
		if cf.c != codingIdentity {
			resp.markCodedVariant()
		}
	case StatusPartialContent:
		resp.addVaryAcceptEncoding()
	}
}

// fileContentType returns the Content-Type of a file response: the one the
// application set, or one from the file's name or, failing that, its first
// bytes.
func fileContentType(resp *Response, f *os.File) string {
	if ct, ok := headerValue(resp.headers, "Content-Type"); ok {
		return ct
	}
	return httpfile.ContentType(f.Name(), func() []byte {
		var b [httpfile.SniffLen]byte
		n, _ := f.ReadAt(b[:], 0) // ReadAt: the offset the body starts from stays put
		return b[:n]
	})
}

// fileConditions collects the conditional and Range fields of a request,
// joining the values of a repeated field with ", " as httpfile.Conditions
// asks.
func fileConditions(hs []Header) httpfile.Conditions {
	var c httpfile.Conditions
	for i := range hs {
		var p *string
		switch name := hs[i].Field; len(name) {
		case len("Range"):
			if name.Equal("Range") {
				p = &c.Range
			}
		case len("If-Match"): // and If-Range
			switch {
			case name.Equal("If-Match"):
				p = &c.IfMatch
			case name.Equal("If-Range"):
				p = &c.IfRange
			}
		case len("If-None-Match"):
			if name.Equal("If-None-Match") {
				p = &c.IfNoneMatch
			}
		case len("If-Modified-Since"):
			if name.Equal("If-Modified-Since") {
				p = &c.IfModifiedSince
			}
		case len("If-Unmodified-Since"):
			if name.Equal("If-Unmodified-Since") {
				p = &c.IfUnmodifiedSince
			}
		}
		switch {
		case p == nil:
		case *p == "":
			*p = hs[i].Value
		default:
			*p += ", " + hs[i].Value
		}
	}
	return c
}

// multipartFile is a multipart/byteranges body and the file it reads, which
// is closed with it.
type multipartFile struct {
	*httpfile.MultipartBody
	f *os.File
}

// Close closes the file.
func (m multipartFile) Close() error { return m.f.Close() }

// ServeFile answers req with the file at path, like FromFile: with its
// validators, and answering conditional and range requests (see FromFile).
// A missing file, or a path through something that is not a directory, gets
// 404 Not Found; a file the process may not read gets 403 Forbidden, as does
// a special file (device, FIFO, socket). A directory is not a file: it gets
// 404 (listing directories is the application's business).
//
// The path is used as it is: ServeFile does not confine it to a root
// directory, resolve ".." or refuse symbolic links. Never pass it a path
// taken from a request without checking it (see examples/fileserver for a
// server that does).
//
// ServeFile returns the error of Respond, or, when the file could not be
// opened for another reason (the client then gets 500), that error.
func ServeFile(req *Request, path string) error {
	// O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
	// below); on a regular file the flag changes nothing.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			return req.Respond(FromString("404 Not Found\n").WithStatusCode(StatusNotFound))
		case errors.Is(err, fs.ErrPermission):
			return req.Respond(FromString("403 Forbidden\n").WithStatusCode(403))
		}
		return errors.Join(fmt.Errorf("tinyhttp: ServeFile: %w", err),
			req.Respond(FromString("500 Internal Server Error\n").WithStatusCode(StatusInternalServerError)))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return errors.Join(fmt.Errorf("tinyhttp: ServeFile: %w", err),
			req.Respond(FromString("500 Internal Server Error\n").WithStatusCode(StatusInternalServerError)))
	}
	switch {
	case fi.IsDir():
		f.Close()
		return req.Respond(FromString("404 Not Found\n").WithStatusCode(StatusNotFound))
	case !fi.Mode().IsRegular():
		f.Close()
		return req.Respond(FromString("403 Forbidden\n").WithStatusCode(403))
	}
	return req.Respond(newFileResponse(f, fi.Size(), fi.ModTime()))
}

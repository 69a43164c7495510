// Package httpfile decides how to answer a request for a static representation whose size and
// modification time are known (a file): validators (RFC 9110 §8.8), conditional requests (§13),
// range requests (§14, §15.3.7, §15.5.17) and the Content-Type of a file.
//
// The package knows nothing of requests or connections. The caller passes the request method and
// the raw values of the conditional and Range fields as strings (a [Conditions]), together with the
// representation's ETag, modification time and size, and gets back a [Decision]: the status code,
// the ranges to send and the Content-Range to put in the header. For several ranges,
// [NewMultipartBody] streams a multipart/byteranges body from an [io.ReaderAt] whose exact length
// is known before the first byte is written, so that a Content-Length can be sent.
//
// # Using it for a file response
//
//	size := info.Size()
//	etag := httpfile.ETag(size, info.ModTime())
//	modTime := httpfile.ClampModTime(info.ModTime(), now) // Last-Modified: never after Date
//	d := httpfile.Evaluate(method, conds, etag, modTime, size)
//	// Always send ETag, Accept-Ranges: bytes, and Last-Modified when KnownModTime(modTime).
//	switch {
//	case d.Status == 304: // no body, no Content-Length or Content-Type
//	case d.Status == 412: // no representation (a short error body is fine)
//	case d.Status == 416: // Content-Range: d.ContentRange() ("bytes */N")
//	case d.Status == 206 && d.Multipart():
//		body, _ := httpfile.NewMultipartBody(f, size, ctype, d.Ranges(), httpfile.NewBoundary())
//		// Content-Type: body.ContentType(); Content-Length: body.Len()
//	case d.Status == 206:
//		r := d.Ranges()[0] // Content-Range: d.ContentRange(); Content-Length: r.Length()
//		body := io.NewSectionReader(f, r.First, r.Length())
//	default: // 200, the whole file
//	}
//
// A HEAD request gets the same status and header fields as a GET, without the body.
//
// # Policies
//
// Where RFC 9110 leaves a choice, this package makes the following one (see CONFORMANCE.md §4):
//
//   - A Range field that is syntactically invalid or names a unit other than "bytes" is ignored
//     (200 with the whole representation), never answered with 416 or 400 (R05).
//   - Range is honoured for GET and HEAD only (R06, R12).
//   - A Range field is ignored (200) when it has more than [MaxRanges] range-specs, when more than
//     two of its satisfiable ranges overlap each other, or when its satisfiable ranges add up to more
//     bytes than the representation has (R07): such requests come from broken clients or are
//     amplification attacks (CVE-2011-3192), and the whole representation is always a correct answer.
//   - Unsatisfiable ranges in a set are dropped; 416 is sent only when none is satisfiable (R03).
//     One remaining range is sent as a plain 206, never as multipart (R04).
//   - A Range on an empty representation is ignored (200), because a 206 cannot describe zero bytes
//     and some clients add a Range to every request (R11, as net/http does).
//   - If-Range matches only a strong ETag equal to the current one, or a date that is byte-for-byte
//     the Last-Modified value we send (R08, R10).
//   - Ranges are sent in request order and never coalesced.
//   - In If-Match and If-None-Match, "*" is valid only as the whole value, and a list is read up to
//     its first malformed element: so a malformed If-Match fails (412, the safe side for a
//     state-changing request) and a malformed If-None-Match matches nothing.
//   - Dates are compared at one-second resolution (the modification time is truncated, as the
//     Last-Modified sent is); an invalid date, or one on a representation whose modification time
//     is unknown (KnownModTime), is ignored. HTTP-dates are parsed strictly (case-sensitive, GMT
//     only), in the three forms of RFC 9110 §5.6.7.
//
// net/http's ServeContent differs on several of these points (invalid or unknown-unit Range: 416;
// Range honoured for any method; no cap on ranges or overlaps; If-Range dates parsed, not
// compared as sent); servecontent_test.go lists every difference with its reason.
//
// # Limitations
//
// The ETag built by [ETag] comes from the size and the modification time (in nanoseconds, as the
// file system reports it). It is "strong" in the sense nginx and others use: a rewrite that keeps
// both the size and the modification time (a file system with coarse timestamps, or tools that
// reset mtime, such as reproducible builds) goes unnoticed. A content hash would be exact but costs
// a read of the whole file, which a file server cannot afford on every request.
package httpfile

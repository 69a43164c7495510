package httpfile

import (
	"strconv"
	"time"
)

// Conditions holds the raw values of a request's conditional and Range fields; an empty string
// means the field is absent, and surrounding whitespace is ignored. A field that arrived on several
// lines must be passed as the lines' values joined with ", " (RFC 9110 §5.3): that is right for the
// list fields If-Match and If-None-Match, and turns a repeated singleton field (a date, If-Range,
// Range) into an invalid value, which is then ignored or treated as false as the RFC requires.
type Conditions struct {
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   string
	IfUnmodifiedSince string
	IfRange           string
	Range             string
}

// A Decision is how to answer a request for a representation, as computed by Evaluate.
//
// Status is one of:
//   - 200: send the whole representation (Size bytes).
//   - 206: send Ranges(); one range goes as a plain body with the Content-Range from ContentRange,
//     several as multipart/byteranges (Multipart; see NewMultipartBody), with no top-level
//     Content-Range.
//   - 304: Not Modified; no body, and no Content-Length or Content-Type (the ETag, and any
//     Cache-Control, Expires or Vary, must still be sent, RFC 9110 §15.4.5).
//   - 412: Precondition Failed; the representation must not be sent.
//   - 416: Range Not Satisfiable; send Content-Range from ContentRange ("bytes */Size").
//
// A Decision holds a single range in itself, so that Evaluate does not allocate for it; its
// methods have pointer receivers so that Ranges can return that range without copying it.
type Decision struct {
	// Status is the status code to answer with.
	Status int
	// Size is the complete length of the representation, as passed to Evaluate.
	Size int64
	// RangeStatus tells what became of the Range field, for logging and tests.
	RangeStatus RangeStatus

	one  [1]Range // the range, when exactly one is sent
	many []Range  // the ranges, when several are sent
}

// Ranges returns the ranges to send, in request order: one or more for a 206, none otherwise.
func (d *Decision) Ranges() []Range {
	if d.Status != 206 {
		return nil
	}
	if d.many != nil {
		return d.many
	}
	return d.one[:]
}

// Multipart reports whether the body is multipart/byteranges: a 206 with more than one range.
// A single range is never sent as multipart (RFC 9110 §14.6).
func (d *Decision) Multipart() bool { return d.Status == 206 && len(d.many) > 1 }

// AppendContentRange appends the value of the top-level Content-Range field to dst: "bytes
// First-Last/Size" for a single-range 206, "bytes */Size" for a 416, nothing otherwise (then the
// field must not be sent).
func (d *Decision) AppendContentRange(dst []byte) []byte {
	switch {
	case d.Status == 206 && d.many == nil:
		return d.one[0].AppendContentRange(dst, d.Size)
	case d.Status == 416:
		dst = append(dst, "bytes */"...) // RFC 9110 §14.4, unsatisfied-range
		return strconv.AppendInt(dst, d.Size, 10)
	}
	return dst
}

// ContentRange returns the value of the top-level Content-Range field, or "" when none is sent.
func (d *Decision) ContentRange() string {
	var buf [contentRangeMax]byte
	return string(d.AppendContentRange(buf[:0]))
}

// Evaluate decides the answer to a request with method method and conditional fields c for a
// representation of size bytes whose current entity-tag is etag (e.g. from ETag; empty if none is
// sent) and whose modification time is modTime (the Last-Modified sent; the zero time if unknown,
// see KnownModTime). Call it only when the answer would otherwise be 200 (RFC 9110 §13.2.1: a
// response that would be an error or a redirect ignores preconditions).
//
// Preconditions are evaluated in the order of RFC 9110 §13.2.2:
//  1. If-Match (strong comparison; "*" matches): false gives 412.
//  2. Without If-Match, If-Unmodified-Since: false gives 412.
//  3. If-None-Match (weak comparison; "*" matches): false gives 304 for GET and HEAD, 412 otherwise.
//  4. Without If-None-Match, for GET and HEAD, If-Modified-Since: false gives 304.
//  5. For GET and HEAD with a Range: If-Range, then the Range itself (206 or 416), under the
//     policies in the package documentation.
//
// Dates are compared at the one-second resolution of HTTP-dates; a date that is not a valid
// HTTP-date is ignored, as is every date condition when modTime is unknown. Methods that do not
// select a representation (CONNECT, OPTIONS, TRACE) ignore all conditions (§13.2.1).
//
// Evaluate does not allocate unless several ranges are to be sent.
func Evaluate(method string, c Conditions, etag string, modTime time.Time, size int64) Decision {
	d := Decision{Status: 200, Size: size}
	c = Conditions{ // field values exclude surrounding whitespace (RFC 9112 §5.1); be sure of it
		IfMatch:           trimOWS(c.IfMatch),
		IfNoneMatch:       trimOWS(c.IfNoneMatch),
		IfModifiedSince:   trimOWS(c.IfModifiedSince),
		IfUnmodifiedSince: trimOWS(c.IfUnmodifiedSince),
		IfRange:           trimOWS(c.IfRange),
		Range:             trimOWS(c.Range),
	}
	switch method {
	case "CONNECT", "OPTIONS", "TRACE":
		if c.Range != "" {
			d.RangeStatus = RangeNotApplicable
		}
		return d
	}
	safe := method == "GET" || method == "HEAD"
	known := KnownModTime(modTime)
	lastMod := modTime.Unix() // the seconds of Last-Modified; floors like the formatted date does

	// Steps 1 and 2.
	if c.IfMatch != "" {
		if !etagMatchesList(c.IfMatch, etag, true) {
			d.Status = 412
			return d
		}
	} else if c.IfUnmodifiedSince != "" && known {
		if t, ok := ParseHTTPDate(c.IfUnmodifiedSince); ok && lastMod > t.Unix() {
			d.Status = 412
			return d
		}
	}

	// Steps 3 and 4.
	if c.IfNoneMatch != "" {
		if etagMatchesList(c.IfNoneMatch, etag, false) {
			d.Status = 304
			if !safe {
				d.Status = 412
			}
			return d
		}
	} else if safe && c.IfModifiedSince != "" && known {
		if t, ok := ParseHTTPDate(c.IfModifiedSince); ok && lastMod <= t.Unix() {
			d.Status = 304
			return d
		}
	}

	// Step 5.
	if c.Range == "" {
		return d
	}
	if !safe {
		d.RangeStatus = RangeNotApplicable // RFC 9110 §14.2: Range is for GET only (HEAD mirrors GET)
		return d
	}
	if c.IfRange != "" {
		if !ifRangeTrue(c.IfRange, etag, modTime, known) {
			d.RangeStatus = RangeIfRangeFalse
			return d
		}
	}
	var buf [MaxRanges]Range
	ranges, st := ParseRange(buf[:0], c.Range, size)
	d.RangeStatus = st
	switch {
	case st == RangeUnsatisfiable:
		d.Status = 416
	case st != RangeSatisfiable:
		// Ignored: the whole representation.
	case len(ranges) == 1:
		d.Status = 206
		d.one[0] = ranges[0]
	default:
		d.Status = 206
		d.many = append([]Range(nil), ranges...)
	}
	return d
}

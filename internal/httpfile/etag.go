package httpfile

import (
	"strconv"
	"time"
)

// ETag returns a strong entity tag for a file of the given size and modification time, as it goes
// in an ETag field: `"<modification time in Unix nanoseconds, hex>-<size, hex>"`, e.g.
// `"1800a2b3c4d5e6f7-a"`. See the package documentation for what "strong" can promise here.
func ETag(size int64, modTime time.Time) string {
	var buf [etagMax]byte
	return string(AppendETag(buf[:0], size, modTime))
}

// etagMax is the longest ETag built by AppendETag: two quotes, a dash, two 16-digit hex numbers.
const etagMax = 2 + 1 + 2*16

// AppendETag appends ETag(size, modTime) to dst.
func AppendETag(dst []byte, size int64, modTime time.Time) []byte {
	var ns uint64
	if !modTime.IsZero() {
		// Wraps for times far from 1970 instead of being undefined like UnixNano; the result only
		// has to be deterministic and different for different times in any plausible range.
		ns = uint64(modTime.Unix())*1e9 + uint64(modTime.Nanosecond())
	}
	dst = append(dst, '"')
	dst = strconv.AppendUint(dst, ns, 16)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, uint64(size), 16)
	return append(dst, '"')
}

// scanETag scans one entity-tag (RFC 9110 §8.8.3) at the start of s:
//
//	entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
//	etagc      = %x21 / %x23-7E / obs-text
//
// It returns the opaque-tag (with its quotes), whether the tag is weak, and the rest of s.
// ok is false when s does not start with a well-formed entity-tag.
func scanETag(s string) (opaque string, weak bool, rest string, ok bool) {
	i := 0
	if len(s) >= 2 && s[0] == 'W' && s[1] == '/' {
		weak = true
		i = 2
	}
	if i >= len(s) || s[i] != '"' {
		return "", false, "", false
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			return s[i : j+1], weak, s[j+1:], true
		case c == 0x21 || 0x23 <= c && c <= 0x7E || c >= 0x80:
		default:
			return "", false, "", false
		}
	}
	return "", false, "", false
}

// etagMatchesList evaluates an If-Match or If-None-Match field value (RFC 9110 §13.1.1, §13.1.2)
// against the current entity-tag current (which may be empty: no ETag). It reports whether "*" or
// one of the listed entity-tags matches, using the strong comparison when strong is set and the
// weak one otherwise (§8.8.3.2).
//
// The field is "*" / #entity-tag; empty list elements and whitespace are accepted (§5.6.1). The
// list is scanned from the left; at a malformed element (including a "*" inside a list) the scan
// stops and what follows cannot match.
func etagMatchesList(field, current string, strong bool) bool {
	field = trimOWS(field)
	if field == "*" {
		// The representation exists (we are serving it), which is what "*" asks.
		return true
	}
	curOpaque, curWeak, rest, ok := scanETag(current)
	if !ok || rest != "" {
		curOpaque = "" // no valid current ETag: nothing but "*" can match
	}
	for s := field; ; {
		for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == ',') {
			s = s[1:]
		}
		if s == "" {
			return false
		}
		opaque, weak, rest, ok := scanETag(s)
		if !ok {
			return false
		}
		if curOpaque != "" && opaque == curOpaque && (!strong || !weak && !curWeak) {
			return true
		}
		s = trimLeftOWS(rest)
		if s != "" && s[0] != ',' {
			return false
		}
	}
}

// ifRangeTrue evaluates an If-Range field value (RFC 9110 §13.1.5): true if it is a strong
// entity-tag equal to etag, or exactly the Last-Modified value sent for modTime (when known). A weak
// entity-tag, a stale validator or anything malformed is false.
func ifRangeTrue(field, etag string, modTime time.Time, known bool) bool {
	field = trimOWS(field)
	if field == "" {
		return false
	}
	if field[0] == '"' || field[0] == 'W' && len(field) > 1 && field[1] == '/' {
		opaque, weak, rest, ok := scanETag(field)
		if !ok || weak || rest != "" {
			return false
		}
		// etag is ours, hence well-formed; only its weakness matters.
		return len(etag) > 0 && etag[0] == '"' && opaque == etag
	}
	if !known || len(field) != imfFixdateLen {
		return false
	}
	// "exactly matches the Last-Modified field value" (§13.1.5): compare with the bytes we send.
	var buf [imfFixdateLen]byte
	return field == string(AppendHTTPDate(buf[:0], modTime))
}

func trimLeftOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

func trimOWS(s string) string {
	s = trimLeftOWS(s)
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

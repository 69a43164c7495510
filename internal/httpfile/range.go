package httpfile

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// MaxRanges is the largest number of range-specs a Range field may hold before it is ignored
// (policy R07, RFC 9110 §14.2 allows ignoring "a set of many small ranges").
//
// Browsers send one range at a time; the clients that ask for several (PDF viewers doing byte
// serving, download managers) ask for a handful. 32 leaves ample room for them while bounding the
// work a single request can cause: parsing stops after 33 specs, the parsed set (and the sorted
// copy the overlap check makes) fits in 512 bytes on the stack, and the multipart framing (about
// 100 bytes per part) stays within a few KiB. Ignoring the field is always a correct answer (200
// with the whole representation), so a client beyond the cap still gets its bytes.
const MaxRanges = 32

// maxOverlapping is the largest number of ranges of one set that may overlap another range of the
// set. RFC 9110 §14.2 names "a ranges-specifier with more than two overlapping ranges" as a sign of a
// broken client or a denial-of-service attack; one overlapping pair (two ranges) is tolerated.
const maxOverlapping = 2

// A Range is a satisfiable byte range of a representation: bytes First through Last, both
// inclusive, with 0 <= First <= Last < size. It is what a Content-Range "bytes First-Last/size"
// describes.
type Range struct {
	First, Last int64
}

// Length returns the number of bytes in r.
func (r Range) Length() int64 { return r.Last - r.First + 1 }

// AppendContentRange appends the Content-Range field value "bytes First-Last/size" to dst.
func (r Range) AppendContentRange(dst []byte, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, r.First, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.Last, 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}

// ContentRange returns the Content-Range field value "bytes First-Last/size".
func (r Range) ContentRange(size int64) string {
	var buf [contentRangeMax]byte
	return string(r.AppendContentRange(buf[:0], size))
}

// contentRangeMax is the longest Content-Range value: "bytes " + 3 int64s of up to 19 digits + "-" + "/".
const contentRangeMax = len("bytes ") + 3*19 + 2

// RangeStatus tells what became of a Range field.
type RangeStatus uint8

const (
	// RangeAbsent means there is no Range field.
	RangeAbsent RangeStatus = iota
	// RangeSatisfiable means at least one range is satisfiable and will be sent (206).
	RangeSatisfiable
	// RangeUnsatisfiable means the field is valid but none of its ranges is satisfiable (416).
	RangeUnsatisfiable
	// RangeInvalid means the field is not a valid ranges-specifier; it is ignored (200).
	RangeInvalid
	// RangeUnknownUnit means the range unit is not "bytes"; the field is ignored (200).
	RangeUnknownUnit
	// RangeTooMany means the field has more than MaxRanges range-specs; it is ignored (200).
	RangeTooMany
	// RangeOverlapping means more than two satisfiable ranges overlap others; the field is ignored
	// (200).
	RangeOverlapping
	// RangeOversized means the satisfiable ranges add up to more bytes than the representation has;
	// the field is ignored (200).
	RangeOversized
	// RangeEmptyRepresentation means the representation has no bytes; the field is ignored (200).
	RangeEmptyRepresentation
	// RangeNotApplicable means the method is not GET or HEAD; the field is ignored (set by
	// Evaluate).
	RangeNotApplicable
	// RangeIfRangeFalse means If-Range did not match the representation; the field is ignored (set
	// by Evaluate).
	RangeIfRangeFalse
)

var rangeStatusNames = [...]string{
	RangeAbsent:              "absent",
	RangeSatisfiable:         "satisfiable",
	RangeUnsatisfiable:       "unsatisfiable",
	RangeInvalid:             "invalid",
	RangeUnknownUnit:         "unknown unit",
	RangeTooMany:             "too many ranges",
	RangeOverlapping:         "overlapping ranges",
	RangeOversized:           "ranges exceed representation",
	RangeEmptyRepresentation: "empty representation",
	RangeNotApplicable:       "method not GET or HEAD",
	RangeIfRangeFalse:        "If-Range false",
}

// String returns a short description of s, for logs and test failures.
func (s RangeStatus) String() string {
	if int(s) < len(rangeStatusNames) {
		return rangeStatusNames[s]
	}
	return "RangeStatus(" + strconv.Itoa(int(s)) + ")"
}

// ParseRange parses the Range field value field (RFC 9110 §14.1, §14.2) for a representation of
// size bytes, applies the package's policies, and appends the ranges to send to dst, in request
// order, with unsatisfiable ones dropped and last positions clamped to size-1.
//
// The ranges are appended only when the status is RangeSatisfiable; otherwise dst is returned with
// its length unchanged. With a dst of spare capacity MaxRanges, ParseRange does not allocate.
//
// The unit is matched case-insensitively; optional whitespace around list elements and empty list
// elements are accepted (RFC 9110 §5.6.1); positions larger than an int64 saturate.
func ParseRange(dst []Range, field string, size int64) ([]Range, RangeStatus) {
	if field == "" {
		return dst, RangeAbsent
	}
	// range-unit "=" range-set, with no whitespace around "=" (RFC 9110 §14.1.1).
	eq := -1
	for i := 0; i < len(field); i++ {
		if field[i] == '=' {
			eq = i
			break
		}
		if !isTokenChar(field[i]) {
			return dst, RangeInvalid
		}
	}
	if eq <= 0 {
		return dst, RangeInvalid
	}
	if !asciiEqualFold(field[:eq], "bytes") {
		return dst, RangeUnknownUnit
	}

	base := len(dst)
	specs := 0
	var sum int64 // bytes selected so far, at most size (oversized says when it would exceed it)
	oversized := false
	s := field[eq+1:]
	for i := 0; ; {
		// Skip OWS and empty elements.
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			break
		}
		specs++
		if specs > MaxRanges {
			return dst[:base], RangeTooMany
		}
		r, next, ok := parseSpec(s, i, size)
		if !ok {
			return dst[:base], RangeInvalid
		}
		// After a spec: OWS, then "," or the end.
		i = next
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] != ',' {
			return dst[:base], RangeInvalid
		}
		if r.Last < 0 { // unsatisfiable, dropped
			continue
		}
		dst = append(dst, r)
		if n := r.Length(); n > size-sum {
			oversized = true
		} else {
			sum += n
		}
	}
	if specs == 0 {
		return dst[:base], RangeInvalid // range-set is 1#range-spec: an empty set is invalid
	}
	if size == 0 {
		return dst[:base], RangeEmptyRepresentation
	}
	got := dst[base:]
	if len(got) == 0 {
		return dst[:base], RangeUnsatisfiable
	}
	if oversized {
		return dst[:base], RangeOversized
	}
	if overlapping(got) > maxOverlapping {
		return dst[:base], RangeOverlapping
	}
	return dst, RangeSatisfiable
}

// parseSpec parses one range-spec starting at s[i] (not OWS, not ","). It returns the range for a
// representation of size bytes (with Last < 0 when it is unsatisfiable) and the index after the
// spec. ok is false when the spec is not an int-range or a suffix-range.
func parseSpec(s string, i int, size int64) (r Range, next int, ok bool) {
	if s[i] == '-' {
		// suffix-range = "-" suffix-length
		n, j, ok := parseDigits(s, i+1)
		if !ok {
			return Range{}, 0, false
		}
		if n == 0 || size == 0 {
			// A suffix-length of 0 selects nothing (RFC 9110 §14.1.1: satisfiable only if > 0).
			return Range{First: 0, Last: -1}, j, true
		}
		if n > size {
			n = size
		}
		return Range{First: size - n, Last: size - 1}, j, true
	}
	// int-range = first-pos "-" [ last-pos ]
	first, j, ok := parseDigits(s, i)
	if !ok || j == len(s) || s[j] != '-' {
		return Range{}, 0, false
	}
	j++
	last := int64(math.MaxInt64)
	if j < len(s) && isDigit(s[j]) {
		last, j, _ = parseDigits(s, j)
		if last < first {
			return Range{}, 0, false // RFC 9110 §14.1.1: invalid if last-pos < first-pos
		}
	}
	if first >= size {
		return Range{First: 0, Last: -1}, j, true
	}
	if last >= size {
		last = size - 1
	}
	return Range{First: first, Last: last}, j, true
}

// parseDigits parses 1*DIGIT at s[i:], saturating at MaxInt64, and returns the value and the index
// after the digits.
func parseDigits(s string, i int) (n int64, next int, ok bool) {
	start := i
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
		} else {
			n = n*10 + d
		}
	}
	return n, i, i > start
}

// overlapping returns how many ranges of rs share at least one byte with another range of rs.
// It sorts a copy by First (on the stack for up to MaxRanges ranges) and sweeps it: in that order,
// a range overlaps an earlier one iff the largest Last before it reaches its First, and a later
// one iff the next range starts before its Last.
func overlapping(rs []Range) int {
	if len(rs) < 2 {
		return 0
	}
	var buf [MaxRanges]Range
	sorted := append(buf[:0], rs...)
	slices.SortFunc(sorted, func(a, b Range) int { return cmp.Compare(a.First, b.First) })
	n := 0
	maxLast := sorted[0].Last
	for i, r := range sorted {
		if i > 0 && maxLast >= r.First || i+1 < len(sorted) && sorted[i+1].First <= r.Last {
			n++
		}
		maxLast = max(maxLast, r.Last)
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isTokenChar reports whether c is a tchar (RFC 9110 §5.6.2).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// asciiEqualFold reports whether s equals the lower-case ASCII string lower, ignoring ASCII case.
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

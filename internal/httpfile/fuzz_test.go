package httpfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rangeSeeds seed FuzzParseRange and FuzzEvaluate.
var rangeSeeds = []string{
	"", "bytes=0-4", "bytes=7-", "bytes=-3", "bytes=5-100", "bytes=20-30", "bytes=0-1,4-5",
	"bytes=abc", "bytes=5-1", "items=0-1", "bytes=", "bytes=,", "BYTES= 0-1 ,\t2-3,", "bytes=-0",
	"bytes=0-1,0-1,0-1", "bytes=0-5,3-8", "bytes=99999999999999999999-", "bytes=-99999999999999999999",
	"bytes=" + strings.Repeat("0-,", 40), "bytes=0-1;2-3", "bytes=0 - 1", "=", "bytes", "bytes=--1",
	"bytes=\x000-1", "by\xfftes=0-1", "bytes=0-1,\xff",
}

// refParseRange is an independent, deliberately naive implementation of ParseRange (strings and
// strconv, no care for speed), the oracle for FuzzParseRange.
func refParseRange(field string, size int64) ([]Range, RangeStatus) {
	if field == "" {
		return nil, RangeAbsent
	}
	unit, set, ok := strings.Cut(field, "=")
	if !ok || !tokenRE.MatchString(unit) {
		return nil, RangeInvalid
	}
	if strings.ToLower(unit) != "bytes" {
		return nil, RangeUnknownUnit
	}
	var specs []string
	for _, e := range strings.Split(set, ",") {
		if e = strings.Trim(e, " \t"); e != "" {
			specs = append(specs, e)
		}
	}
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return math.MaxInt64
		}
		return n
	}
	var rs []Range
	for i, spec := range specs {
		if i == MaxRanges {
			return nil, RangeTooMany
		}
		if m := suffixRE.FindStringSubmatch(spec); m != nil {
			n := num(m[1])
			if n > 0 && size > 0 {
				rs = append(rs, Range{max(size-n, 0), size - 1})
			}
			continue
		}
		m := intRE.FindStringSubmatch(spec)
		if m == nil {
			return nil, RangeInvalid
		}
		first, last := num(m[1]), int64(math.MaxInt64)
		if m[2] != "" {
			last = num(m[2])
		}
		if last < first {
			return nil, RangeInvalid
		}
		if first < size {
			rs = append(rs, Range{first, min(last, size-1)})
		}
	}
	switch {
	case len(specs) == 0:
		return nil, RangeInvalid
	case size == 0:
		return nil, RangeEmptyRepresentation
	case len(rs) == 0:
		return nil, RangeUnsatisfiable
	}
	sum := new(big.Int) // no overflow, no rounding
	for _, r := range rs {
		sum.Add(sum, big.NewInt(r.Length()))
	}
	if sum.Cmp(big.NewInt(size)) > 0 {
		return nil, RangeOversized
	}
	overlapping := 0
	for i := range rs {
		for j := range rs {
			if i != j && max(rs[i].First, rs[j].First) <= min(rs[i].Last, rs[j].Last) {
				overlapping++
				break
			}
		}
	}
	if overlapping > 2 {
		return nil, RangeOverlapping
	}
	return rs, RangeSatisfiable
}

var (
	tokenRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	suffixRE = regexp.MustCompile(`^-([0-9]+)$`)
	intRE    = regexp.MustCompile(`^([0-9]+)-([0-9]*)$`)
)

// FuzzParseRange checks that ParseRange never panics, that what it returns is within the
// representation and the policies, and that it agrees with refParseRange.
func FuzzParseRange(f *testing.F) {
	for _, s := range rangeSeeds {
		for _, size := range []int64{0, 1, 10, 1000, math.MaxInt64} {
			f.Add(s, size)
		}
	}
	f.Fuzz(func(t *testing.T, field string, size int64) {
		prefix := []Range{{-1, -2}}
		got, st := ParseRange(prefix, field, size)
		if got[0] != (Range{-1, -2}) {
			t.Fatalf("dst prefix overwritten: %v", got)
		}
		rs := got[1:]
		if st != RangeSatisfiable && len(rs) != 0 {
			t.Fatalf("%q, %d: status %s with ranges %v", field, size, st, rs)
		}
		if st == RangeSatisfiable {
			if len(rs) == 0 || len(rs) > MaxRanges {
				t.Fatalf("%q, %d: %d ranges", field, size, len(rs))
			}
			var sum int64
			for _, r := range rs {
				if r.First < 0 || r.First > r.Last || r.Last >= size {
					t.Fatalf("%q, %d: range %v outside [0,%d)", field, size, r, size)
				}
				sum += r.Length()
				if sum > size || sum < 0 {
					t.Fatalf("%q, %d: ranges %v add up to more than the size", field, size, rs)
				}
			}
			if n := overlapping(rs); n > maxOverlapping {
				t.Fatalf("%q, %d: %d overlapping ranges", field, size, n)
			}
			// Writing the ranges back as a Range field gives them again.
			var b strings.Builder
			b.WriteString("bytes=")
			for i, r := range rs {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%d-%d", r.First, r.Last)
			}
			again, st2 := ParseRange(nil, b.String(), size)
			if st2 != RangeSatisfiable || fmt.Sprint(again) != fmt.Sprint(rs) {
				t.Fatalf("%q, %d: %v re-parses as %v, %s", field, size, rs, again, st2)
			}
		}
		want, wantSt := refParseRange(field, size)
		if st != wantSt || fmt.Sprint(rs) != fmt.Sprint(want) && len(want)+len(rs) > 0 {
			t.Fatalf("ParseRange(%q, %d) = %v, %s; reference says %v, %s", field, size, rs, st, want, wantSt)
		}
	})
}

// FuzzEvaluate checks Evaluate's invariants on arbitrary conditions, and that a multipart decision
// gives a body of exactly its announced length that parses back to its ranges.
func FuzzEvaluate(f *testing.F) {
	etag := ETag(10, modTime)
	for i, s := range rangeSeeds {
		ifs := []string{"", etag, "W/" + etag, "*", `"x"`, lastModified, "garbage", `"a", ` + etag}
		f.Add("GET", ifs[i%len(ifs)], ifs[(i+1)%len(ifs)], ifs[(i+2)%len(ifs)], ifs[(i+3)%len(ifs)], ifs[(i+4)%len(ifs)], s, uint16(10), modTime.Unix())
		f.Add("HEAD", "", "", "", "", etag, s, uint16(1000), int64(0))
		f.Add("POST", etag, "", "", lastModified, "", s, uint16(0), modTime.Unix())
	}
	f.Fuzz(func(t *testing.T, method, im, inm, ims, ius, ir, rng string, size16 uint16, sec int64) {
		size := int64(size16 % 4096) // keep bodies small: each run builds one
		mt := time.Unix(sec%(1<<40), 0)
		c := Conditions{IfMatch: im, IfNoneMatch: inm, IfModifiedSince: ims, IfUnmodifiedSince: ius, IfRange: ir, Range: rng}
		tag := ETag(size, mt)
		d := Evaluate(method, c, tag, mt, size)
		safe := method == "GET" || method == "HEAD"
		switch d.Status {
		case 200:
			if d.Ranges() != nil || d.ContentRange() != "" {
				t.Fatalf("200 with ranges %v or Content-Range %q", d.Ranges(), d.ContentRange())
			}
		case 206:
			if !safe || rng == "" {
				t.Fatalf("206 for %s with Range %q", method, rng)
			}
			rs := d.Ranges()
			if len(rs) == 0 || d.Multipart() != (len(rs) > 1) || (len(rs) == 1) != (d.ContentRange() != "") {
				t.Fatalf("206: ranges %v, multipart %v, Content-Range %q", rs, d.Multipart(), d.ContentRange())
			}
			if d.Multipart() {
				content := bytes.Repeat([]byte("0123456789abcdef"), int(size/16)+1)[:size]
				mb, err := NewMultipartBody(bytes.NewReader(content), size, "text/plain", rs, NewBoundary())
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(mb)
				if err != nil || int64(len(body)) != mb.Len() {
					t.Fatalf("multipart: %d bytes, %v; Len %d", len(body), err, mb.Len())
				}
				parts := parseParts(t, mb.ContentType(), body)
				if len(parts) != len(rs) {
					t.Fatalf("%d parts for %d ranges", len(parts), len(rs))
				}
				for i, p := range parts {
					if p.contentRange != rs[i].ContentRange(size) || p.data != string(content[rs[i].First:rs[i].Last+1]) {
						t.Fatalf("part %d: %s, want range %v", i, p, rs[i])
					}
				}
			}
		case 304:
			if !safe || inm == "" && ims == "" {
				t.Fatalf("304 for %s %+v", method, c)
			}
		case 412:
			if im == "" && ius == "" && (inm == "" || safe) {
				t.Fatalf("412 for %s %+v", method, c)
			}
		case 416:
			if !safe || rng == "" || d.ContentRange() != "bytes */"+strconv.FormatInt(size, 10) {
				t.Fatalf("416 for %s %+v, Content-Range %q", method, c, d.ContentRange())
			}
		default:
			t.Fatalf("status %d", d.Status)
		}
		// Without any condition but Range, the decision is ParseRange's.
		if im == "" && inm == "" && ims == "" && ius == "" && ir == "" && safe {
			_, st := ParseRange(nil, trimOWS(rng), size) // Evaluate trims field values
			if st != d.RangeStatus {
				t.Fatalf("Range %q: Evaluate says %s, ParseRange %s", rng, d.RangeStatus, st)
			}
		}
	})
}

// FuzzParseHTTPDate checks that ParseHTTPDate never panics, returns whole seconds in UTC, accepts
// only what http.ParseTime also accepts (as the same instant) for the IMF-fixdate and asctime
// forms, and that IMF-fixdates with a correct day name round-trip through FormatHTTPDate.
func FuzzParseHTTPDate(f *testing.F) {
	for _, s := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
		"Sat, 30 Jun 2012 23:59:60 GMT", "Thu, 29 Feb 2024 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
		"", "Monday, 01-Jan-70 00:00:00 GMT", "Sun Nov 06 08:49:37 1994", lastModified,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := ParseHTTPDate(s)
		if !ok {
			if !tm.IsZero() {
				t.Fatalf("%q: not ok but %v", s, tm)
			}
			return
		}
		if tm.Location() != time.UTC || tm.Nanosecond() != 0 {
			t.Fatalf("%q: %v is not whole seconds in UTC", s, tm)
		}
		if strings.Contains(s, ":60") {
			return // a leap second (minutes stop at 59): time.Parse rejects it
		}
		if len(s) == imfFixdateLen || len(s) == asctimeLen {
			want, err := http.ParseTime(s)
			if err != nil || !want.Equal(tm) {
				t.Fatalf("%q: ParseHTTPDate = %v, http.ParseTime = %v, %v", s, tm, want, err)
			}
		}
		if len(s) == imfFixdateLen && s[:3] == tm.Weekday().String()[:3] {
			if back := FormatHTTPDate(tm); back != s {
				t.Fatalf("%q parses as %v, which formats as %q", s, tm, back)
			}
		}
	})
}

// FuzzRangeVsServeContent builds well-formed Range fields of one to three specs and checks that
// our answer is net/http's, except where policy R07 (overlapping ranges) deliberately differs.
// Specs with last < first and "-0", on which net/http deliberately differs (see diffVectors), are
// not generated.
func FuzzRangeVsServeContent(f *testing.F) {
	f.Add(uint16(0), uint16(4), uint8(0), uint16(7), uint16(0), uint8(1), uint16(3), uint16(3), uint8(2), uint8(1), false)
	f.Add(uint16(0), uint16(1), uint8(0), uint16(4), uint16(5), uint8(0), uint16(0), uint16(0), uint8(0), uint8(2), false)
	f.Add(uint16(990), uint16(999), uint8(0), uint16(0), uint16(20), uint8(2), uint16(500), uint16(1500), uint8(0), uint8(3), true)
	f.Fuzz(func(t *testing.T, a1, b1 uint16, k1 uint8, a2, b2 uint16, k2 uint8, a3, b3 uint16, k3 uint8, n uint8, big bool) {
		content := ten
		if big {
			content = thousand
		}
		type spec struct {
			a, b uint16
			k    uint8
		}
		all := []spec{{a1, b1, k1}, {a2, b2, k2}, {a3, b3, k3}}[:1+int(n%3)]
		var parts []string
		for _, s := range all {
			a, b := int(s.a)%1200, int(s.b)%1200
			switch s.k % 3 {
			case 0: // first-last
				if a > b {
					a, b = b, a
				}
				parts = append(parts, fmt.Sprintf("%d-%d", a, b))
			case 1: // first-
				parts = append(parts, fmt.Sprintf("%d-", a))
			default: // -suffix
				parts = append(parts, fmt.Sprintf("-%d", a+1))
			}
		}
		c := Conditions{Range: "bytes=" + strings.Join(parts, ",")}
		ours, theirs := ourOutcome(t, "GET", c, content), netHTTPOutcome(t, "GET", c, content)
		if d := Evaluate("GET", c, "", modTime, int64(len(content))); d.RangeStatus == RangeOverlapping {
			if ours.status != 200 || theirs.status != 206 {
				t.Fatalf("Range %q (R07): ours %v, net/http %v", c.Range, ours, theirs)
			}
			return
		}
		if ours != theirs {
			t.Fatalf("%d bytes, Range %q:\nours     %v\nnet/http %v", len(content), c.Range, ours, theirs)
		}
	})
}

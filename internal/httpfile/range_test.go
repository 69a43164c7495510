package httpfile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRanges checks the rules of CONFORMANCE.md §4 on the 10-byte resource "0123456789", through
// Evaluate and the response a caller builds from its Decision.
func TestRanges(t *testing.T) {
	get := func(t *testing.T, rng string) (response, Decision) {
		t.Helper()
		return respond(t, "GET", Conditions{Range: rng}, ten, textPlain)
	}
	// expect206 checks a single-range answer.
	expect206 := func(t *testing.T, rng, contentRange, body string) {
		t.Helper()
		resp, d := get(t, rng)
		if resp.status != 206 || resp.contentRange != contentRange || string(resp.body) != body ||
			resp.length != int64(len(body)) || d.Multipart() {
			t.Errorf("Range %q: got %d, Content-Range %q, length %d, body %q, multipart %v; want 206, %q, %d, %q, single",
				rng, resp.status, resp.contentRange, resp.length, resp.body, d.Multipart(), contentRange, len(body), body)
		}
	}
	// expect200 checks that the Range was ignored, for the reason st.
	expect200 := func(t *testing.T, method string, c Conditions, content []byte, st RangeStatus) {
		t.Helper()
		resp, d := respond(t, method, c, content, textPlain)
		wantBody := string(content)
		if method == "HEAD" {
			wantBody = ""
		}
		if resp.status != 200 || resp.contentRange != "" || string(resp.body) != wantBody || d.RangeStatus != st {
			t.Errorf("%s %+v: got %d, Content-Range %q, body %q, range %q; want 200, none, the whole body, range %q",
				method, c, resp.status, resp.contentRange, resp.body, d.RangeStatus, st)
		}
	}

	t.Run("R01", func(t *testing.T) {
		expect206(t, "bytes=0-4", "bytes 0-4/10", "01234")
	})

	t.Run("R02", func(t *testing.T) {
		expect206(t, "bytes=7-", "bytes 7-9/10", "789")
		expect206(t, "bytes=-3", "bytes 7-9/10", "789")
		expect206(t, "bytes=5-100", "bytes 5-9/10", "56789")
		// Edges of the representation.
		expect206(t, "bytes=0-0", "bytes 0-0/10", "0")
		expect206(t, "bytes=9-9", "bytes 9-9/10", "9")
		expect206(t, "bytes=9-", "bytes 9-9/10", "9")
		expect206(t, "bytes=-1", "bytes 9-9/10", "9")
		expect206(t, "bytes=0-", "bytes 0-9/10", "0123456789")
		expect206(t, "bytes=-10", "bytes 0-9/10", "0123456789")
		expect206(t, "bytes=-11", "bytes 0-9/10", "0123456789") // suffix longer than the representation
		expect206(t, "bytes=0-9", "bytes 0-9/10", "0123456789")
		// Positions beyond an int64 saturate: they are still "past the end".
		expect206(t, "bytes=3-99999999999999999999999999", "bytes 3-9/10", "3456789")
		expect206(t, "bytes=-99999999999999999999999999", "bytes 0-9/10", "0123456789")
		// Unit names are case-insensitive (RFC 9110 §14.1); OWS around list elements is accepted.
		expect206(t, "BYTES=0-4", "bytes 0-4/10", "01234")
		expect206(t, "Bytes= 0-4 ", "bytes 0-4/10", "01234")
		expect206(t, "bytes=,0-4,", "bytes 0-4/10", "01234")
		expect206(t, "bytes=0000-0004", "bytes 0-4/10", "01234") // leading zeros are DIGITs
	})

	t.Run("R03", func(t *testing.T) {
		for _, rng := range []string{
			"bytes=20-30", "bytes=10-", "bytes=10-10", "bytes=-0", "bytes=20-30,10-", "bytes=-0,99-",
			"bytes=99999999999999999999999-",
		} {
			resp, d := get(t, rng)
			if resp.status != 416 || resp.contentRange != "bytes */10" || d.RangeStatus != RangeUnsatisfiable || d.Ranges() != nil {
				t.Errorf("Range %q: got %d, Content-Range %q, %q; want 416, %q", rng, resp.status, resp.contentRange, d.RangeStatus, "bytes */10")
			}
		}
		// Some satisfiable, some not: the satisfiable ones are served.
		expect206(t, "bytes=20-30,0-1", "bytes 0-1/10", "01")
		expect206(t, "bytes=0-1,20-30", "bytes 0-1/10", "01")
		expect206(t, "bytes=-0,2-3", "bytes 2-3/10", "23")
		resp, d := get(t, "bytes=0-1,20-30,4-5")
		if resp.status != 206 || !d.Multipart() || fmt.Sprint(d.Ranges()) != "[{0 1} {4 5}]" {
			t.Errorf("bytes=0-1,20-30,4-5: got %d %v, want 206 with two parts", resp.status, d.Ranges())
		}
	})

	t.Run("R04", func(t *testing.T) {
		for _, tc := range []struct {
			rng  string
			want string
		}{
			{"bytes=0-1,4-5", `{text/plain; charset=utf-8 | bytes 0-1/10 | "01"}{text/plain; charset=utf-8 | bytes 4-5/10 | "45"}`},
			// Request order, not sorted.
			{"bytes=4-5,0-1", `{text/plain; charset=utf-8 | bytes 4-5/10 | "45"}{text/plain; charset=utf-8 | bytes 0-1/10 | "01"}`},
			{"bytes=-2, 0-0 ,3-4", `{text/plain; charset=utf-8 | bytes 8-9/10 | "89"}{text/plain; charset=utf-8 | bytes 0-0/10 | "0"}{text/plain; charset=utf-8 | bytes 3-4/10 | "34"}`},
			// Adjacent ranges are not coalesced.
			{"bytes=0-1,2-3", `{text/plain; charset=utf-8 | bytes 0-1/10 | "01"}{text/plain; charset=utf-8 | bytes 2-3/10 | "23"}`},
		} {
			resp, d := get(t, tc.rng)
			if resp.status != 206 || !d.Multipart() {
				t.Errorf("Range %q: got %d, multipart %v; want 206 multipart", tc.rng, resp.status, d.Multipart())
				continue
			}
			if resp.contentRange != "" {
				t.Errorf("Range %q: top-level Content-Range %q on a multipart response", tc.rng, resp.contentRange)
			}
			if !strings.HasPrefix(resp.contentType, "multipart/byteranges; boundary=") {
				t.Errorf("Range %q: Content-Type %q", tc.rng, resp.contentType)
			}
			if got := partsString(parseParts(t, resp.contentType, resp.body)); got != tc.want {
				t.Errorf("Range %q: parts\n%s\nwant\n%s", tc.rng, got, tc.want)
			}
		}
		// A single range is never multipart, whatever else the set held.
		for _, rng := range []string{"bytes=0-1", "bytes=0-1,50-60", "bytes=,,0-1,,"} {
			if _, d := get(t, rng); d.Status != 206 || d.Multipart() || len(d.Ranges()) != 1 {
				t.Errorf("Range %q: status %d, multipart %v, %d ranges; want a single-range 206", rng, d.Status, d.Multipart(), len(d.Ranges()))
			}
		}
	})

	t.Run("R05", func(t *testing.T) {
		for _, tc := range []struct {
			rng string
			st  RangeStatus
		}{
			{"bytes=abc", RangeInvalid},
			{"bytes=5-1", RangeInvalid},
			{"bytes=", RangeInvalid},
			{"bytes=,", RangeInvalid},
			{"bytes= , ", RangeInvalid},
			{"bytes", RangeInvalid},
			{"=0-1", RangeInvalid},
			{"garbage", RangeInvalid},
			{"bytes =0-1", RangeInvalid},
			{"bytes= 0 -1", RangeInvalid},
			{"bytes=0- 1", RangeInvalid},
			{"bytes=0-1-2", RangeInvalid},
			{"bytes=-", RangeInvalid},
			{"bytes=--1", RangeInvalid},
			{"bytes=-1-", RangeInvalid},
			{"bytes=+1-2", RangeInvalid},
			{"bytes=1-+2", RangeInvalid},
			{"bytes=0x1-2", RangeInvalid},
			{"bytes=1", RangeInvalid},
			{"bytes=0-1;2-3", RangeInvalid},
			{"bytes=0-1 2-3", RangeInvalid},
			{"bytes=0-1,abc", RangeInvalid}, // one bad spec spoils the set
			{"bytes=0-1,5-1", RangeInvalid},
			{"bytes=0-1,20-10", RangeInvalid},
			{"bytes=\x000-1", RangeInvalid},
			{"bytes=٣-4", RangeInvalid}, // non-ASCII digit
			{"byte s=0-1", RangeInvalid},
			{"items=0-1", RangeUnknownUnit},
			{"none=0-1", RangeUnknownUnit},
			{"bytesx=0-1", RangeUnknownUnit},
			{"x=", RangeUnknownUnit},
		} {
			expect200(t, "GET", Conditions{Range: tc.rng}, ten, tc.st)
		}
	})

	t.Run("R06", func(t *testing.T) {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get", "PROPFIND"} {
			expect200(t, m, Conditions{Range: "bytes=0-4"}, ten, RangeNotApplicable)
		}
	})

	t.Run("R07", func(t *testing.T) {
		many := func(n int, spec func(i int) string) string {
			specs := make([]string, n)
			for i := range specs {
				specs[i] = spec(i)
			}
			return "bytes=" + strings.Join(specs, ",")
		}
		for _, tc := range []struct {
			name    string
			rng     string
			content []byte
			st      RangeStatus
		}{
			{"1000x 0-", many(1000, func(int) string { return "0-" }), thousand, RangeTooMany},
			{"1000x 0-0", many(1000, func(int) string { return "0-0" }), thousand, RangeTooMany},
			{"33 disjoint", many(MaxRanges+1, func(i int) string { return fmt.Sprintf("%d-%d", 2*i, 2*i) }), thousand, RangeTooMany},
			{"33 unsatisfiable", many(MaxRanges+1, func(i int) string { return fmt.Sprintf("%d-", 2000+i) }), thousand, RangeTooMany},
			{"3 identical", "bytes=0-1,0-1,0-1", thousand, RangeOverlapping},
			{"chain of 3", "bytes=0-1,1-2,2-3", thousand, RangeOverlapping},
			{"two pairs", "bytes=0-1,1-2,10-11,11-12", thousand, RangeOverlapping},
			{"suffix and int overlap thrice", "bytes=-5,990-,995-996", thousand, RangeOverlapping},
			{"sum over size", "bytes=0-5,3-8", ten, RangeOversized},
			{"whole twice", "bytes=0-,-10", ten, RangeOversized},
			{"huge suffixes", "bytes=-99999999999999999999,-99999999999999999999", ten, RangeOversized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expect200(t, "GET", Conditions{Range: tc.rng}, tc.content, tc.st)
			})
		}
		// Within the limits: 32 disjoint ranges; one overlapping pair.
		rng := many(MaxRanges, func(i int) string { return fmt.Sprintf("%d-%d", 3*i, 3*i+1) })
		if resp, d := respond(t, "GET", Conditions{Range: rng}, thousand, textPlain); resp.status != 206 || len(d.Ranges()) != MaxRanges ||
			len(parseParts(t, resp.contentType, resp.body)) != MaxRanges {
			t.Errorf("%d disjoint ranges: got %d with %d ranges (%s), want 206 with all", MaxRanges, resp.status, len(d.Ranges()), d.RangeStatus)
		}
		if resp, d := respond(t, "GET", Conditions{Range: "bytes=0-5,3-8"}, thousand, textPlain); resp.status != 206 || len(d.Ranges()) != 2 {
			t.Errorf("one overlapping pair: got %d (%s), want 206", resp.status, d.RangeStatus)
		}
	})

	t.Run("R08", func(t *testing.T) {
		etag := ETag(10, modTime)
		expect := func(t *testing.T, ifRange string, want int) {
			t.Helper()
			resp, d := respond(t, "GET", Conditions{Range: "bytes=0-4", IfRange: ifRange}, ten, textPlain)
			if resp.status != want {
				t.Errorf("If-Range %q: got %d (%s), want %d", ifRange, resp.status, d.RangeStatus, want)
			}
			if want == 200 && (string(resp.body) != string(ten) || d.RangeStatus != RangeIfRangeFalse) {
				t.Errorf("If-Range %q: body %q, range %q; want the whole body, range ignored", ifRange, resp.body, d.RangeStatus)
			}
		}
		expect(t, etag, 206)
		expect(t, " "+etag+"\t", 206)
		expect(t, lastModified, 206) // the exact Last-Modified value
		expect(t, `"stale"`, 200)
		expect(t, ETag(10, modTime.Add(time.Nanosecond)), 200)
		expect(t, ETag(11, modTime), 200)
		expect(t, "Tue, 05 Mar 2024 06:07:07 GMT", 200)   // a second earlier
		expect(t, "Tue, 05 Mar 2024 06:07:09 GMT", 200)   // a second later
		expect(t, "Tuesday, 05-Mar-24 06:07:08 GMT", 200) // same instant, not the value we send
		expect(t, "Tue Mar  5 06:07:08 2024", 200)        // same instant, not the value we send
		expect(t, "tue, 05 mar 2024 06:07:08 gmt", 200)
		expect(t, etag+", "+etag, 200)  // If-Range holds one validator
		expect(t, etag+" junk", 200)    // trailing garbage
		expect(t, `"unterminated`, 200) // malformed
		expect(t, "*", 200)
		expect(t, "W/", 200)
		expect(t, "W", 200)

		// Without a known modification time, a date never matches.
		for _, mt := range []time.Time{{}, time.Unix(0, 0)} {
			d := Evaluate("GET", Conditions{Range: "bytes=0-4", IfRange: FormatHTTPDate(mt)}, ETag(10, mt), mt, 10)
			if d.Status != 200 {
				t.Errorf("modTime %v, If-Range its date: got %d, want 200", mt, d.Status)
			}
		}
		// Without an ETag, an entity-tag never matches.
		if d := Evaluate("GET", Conditions{Range: "bytes=0-4", IfRange: etag}, "", modTime, 10); d.Status != 200 {
			t.Errorf("no ETag, If-Range an entity-tag: got %d, want 200", d.Status)
		}
	})

	t.Run("R09", func(t *testing.T) {
		for _, ir := range []string{ETag(10, modTime), `"stale"`, lastModified, "garbage"} {
			expect200(t, "GET", Conditions{IfRange: ir}, ten, RangeAbsent)
		}
	})

	t.Run("R10", func(t *testing.T) {
		etag := ETag(10, modTime)
		d := Evaluate("GET", Conditions{Range: "bytes=0-4", IfRange: "W/" + etag}, etag, modTime, 10)
		if d.Status != 200 || d.RangeStatus != RangeIfRangeFalse {
			t.Errorf("If-Range W/<current>: got %d (%s), want 200", d.Status, d.RangeStatus)
		}
		// Nor does a current ETag that is itself weak.
		d = Evaluate("GET", Conditions{Range: "bytes=0-4", IfRange: `W/"x"`}, `W/"x"`, modTime, 10)
		if d.Status != 200 {
			t.Errorf("weak current ETag, If-Range W/: got %d, want 200", d.Status)
		}
		d = Evaluate("GET", Conditions{Range: "bytes=0-4", IfRange: `"x"`}, `W/"x"`, modTime, 10)
		if d.Status != 200 {
			t.Errorf("weak current ETag, If-Range strong: got %d, want 200", d.Status)
		}
	})

	t.Run("R11", func(t *testing.T) {
		// Accept-Ranges: bytes is the caller's to send on every file response; here, an empty file.
		for _, rng := range []string{"bytes=0-4", "bytes=-5", "bytes=0-", "bytes=-0", "bytes=5-", "bytes=0-1,3-4"} {
			expect200(t, "GET", Conditions{Range: rng}, nil, RangeEmptyRepresentation)
		}
		expect200(t, "GET", Conditions{Range: "bytes=abc"}, nil, RangeInvalid)
	})

	t.Run("R12", func(t *testing.T) {
		resp, d := respond(t, "HEAD", Conditions{Range: "bytes=0-4"}, ten, textPlain)
		if resp.status != 206 || resp.contentRange != "bytes 0-4/10" || resp.length != 5 || d.Multipart() {
			t.Errorf("HEAD bytes=0-4: got %d, %q, length %d; want 206, bytes 0-4/10, 5", resp.status, resp.contentRange, resp.length)
		}
		resp, d = respond(t, "HEAD", Conditions{Range: "bytes=0-1,4-5"}, ten, textPlain)
		if resp.status != 206 || !d.Multipart() || resp.length == 0 {
			t.Errorf("HEAD bytes=0-1,4-5: got %d, multipart %v, length %d", resp.status, d.Multipart(), resp.length)
		}
		if resp, _ := respond(t, "HEAD", Conditions{Range: "bytes=20-"}, ten, textPlain); resp.status != 416 {
			t.Errorf("HEAD bytes=20-: got %d, want 416", resp.status)
		}
	})
}

// TestParseRange checks ParseRange on its own: appending to dst, statuses, and sizes at the
// extremes.
func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		field string
		size  int64
		want  string
		st    RangeStatus
	}{
		{"", 10, "[]", RangeAbsent},
		{"bytes=0-4", 10, "[{0 4}]", RangeSatisfiable},
		{"bytes=0-4", 0, "[]", RangeEmptyRepresentation},
		{"bytes=0-", math.MaxInt64, "[{0 9223372036854775806}]", RangeSatisfiable},
		{"bytes=-1", math.MaxInt64, "[{9223372036854775806 9223372036854775806}]", RangeSatisfiable},
		{"bytes=9223372036854775806-", math.MaxInt64, "[{9223372036854775806 9223372036854775806}]", RangeSatisfiable},
		{"bytes=9223372036854775807-", math.MaxInt64, "[]", RangeUnsatisfiable},
		{"bytes=0-,0-", math.MaxInt64, "[]", RangeOversized}, // no overflow in the sum
		{"bytes=0-0,0-", math.MaxInt64, "[]", RangeOversized},
		{"bytes=1-1,0-0", 2, "[{1 1} {0 0}]", RangeSatisfiable},
		{"bytes=0-1", -1, "[]", RangeUnsatisfiable}, // a negative size has no satisfiable range
		{"bytes=-1", -5, "[]", RangeUnsatisfiable},
	} {
		prefix := []Range{{7, 7}}
		got, st := ParseRange(prefix, tc.field, tc.size)
		if st != tc.st || fmt.Sprint(got[1:]) != tc.want || got[0] != (Range{7, 7}) {
			t.Errorf("ParseRange(%q, %d) = %v, %s; want [{7 7}]+%s, %s", tc.field, tc.size, got, st, tc.want, tc.st)
		}
	}
}

func TestRangeStatusString(t *testing.T) {
	seen := map[string]bool{}
	for s := RangeAbsent; s <= RangeIfRangeFalse; s++ {
		str := s.String()
		if str == "" || seen[str] || strings.HasPrefix(str, "RangeStatus(") {
			t.Errorf("RangeStatus(%d).String() = %q: empty, duplicate or unnamed", s, str)
		}
		seen[str] = true
	}
	if got := RangeStatus(200).String(); got != "RangeStatus(200)" {
		t.Errorf("RangeStatus(200).String() = %q", got)
	}
}

func TestContentRange(t *testing.T) {
	for _, tc := range []struct {
		d    Decision
		want string
	}{
		{Decision{Status: 206, Size: 10, one: [1]Range{{0, 4}}}, "bytes 0-4/10"},
		{Decision{Status: 206, Size: math.MaxInt64, one: [1]Range{{math.MaxInt64 - 1, math.MaxInt64 - 1}}}, "bytes 9223372036854775806-9223372036854775806/9223372036854775807"},
		{Decision{Status: 416, Size: 10}, "bytes */10"},
		{Decision{Status: 206, Size: 10, many: []Range{{0, 1}, {3, 4}}}, ""},
		{Decision{Status: 200, Size: 10}, ""},
		{Decision{Status: 304, Size: 10}, ""},
		{Decision{Status: 412, Size: 10}, ""},
	} {
		if got := tc.d.ContentRange(); got != tc.want {
			t.Errorf("%+v.ContentRange() = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := (Range{2, 5}).ContentRange(10); got != "bytes 2-5/10" {
		t.Errorf("Range.ContentRange = %q", got)
	}
	if n := (Range{2, 5}).Length(); n != 4 {
		t.Errorf("Range{2,5}.Length() = %d", n)
	}
}

// TestOverlapping checks the sweep in overlapping against the pairwise definition.
func TestOverlapping(t *testing.T) {
	naive := func(rs []Range) int {
		n := 0
		for i, a := range rs {
			for j, b := range rs {
				if i != j && a.First <= b.Last && b.First <= a.Last {
					n++
					break
				}
			}
		}
		return n
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 20000; i++ {
		rs := make([]Range, rng.IntN(MaxRanges+1))
		for j := range rs {
			a, b := rng.Int64N(40), rng.Int64N(40)
			rs[j] = Range{min(a, b), max(a, b)}
		}
		orig := slices.Clone(rs)
		if got, want := overlapping(rs), naive(rs); got != want {
			t.Fatalf("overlapping(%v) = %d, want %d", rs, got, want)
		}
		if !slices.Equal(rs, orig) {
			t.Fatalf("overlapping reordered its argument")
		}
	}
}

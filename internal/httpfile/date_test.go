package httpfile

import (
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func fixedNow(year int) func() time.Time {
	return func() time.Time { return time.Date(year, 6, 1, 0, 0, 0, 0, time.UTC) }
}

func TestParseHTTPDate(t *testing.T) {
	rfcExample := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time // zero: invalid
	}{
		// The three forms of RFC 9110 §5.6.7.
		{"Sun, 06 Nov 1994 08:49:37 GMT", rfcExample},
		{"Sunday, 06-Nov-94 08:49:37 GMT", rfcExample},
		{"Sun Nov  6 08:49:37 1994", rfcExample},
		{"Sun Nov 06 08:49:37 1994", rfcExample}, // asctime: 2DIGIT or SP DIGIT
		{"Wednesday, 06-Nov-94 08:49:37 GMT", rfcExample},
		{"Thu, 01 Jan 1970 00:00:00 GMT", time.Unix(0, 0).UTC()},
		{"Mon, 31 Dec 0001 23:59:59 GMT", time.Date(1, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"Fri, 31 Dec 9999 23:59:59 GMT", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"Thu, 29 Feb 2024 00:00:00 GMT", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"Tue, 29 Feb 2000 00:00:00 GMT", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"Sat, 30 Jun 2012 23:59:60 GMT", time.Date(2012, 7, 1, 0, 0, 0, 0, time.UTC)}, // leap second
		{"Mon, 06 Nov 1994 08:49:37 GMT", rfcExample},                                  // the day name is not cross-checked

		// Not HTTP-dates.
		{"", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 gmt", time.Time{}},   // case-sensitive
		{"sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},   // case-sensitive
		{"Sun, 06 nov 1994 08:49:37 GMT", time.Time{}},   // case-sensitive
		{"Sun, 06 Nov 1994 08:49:37 UTC", time.Time{}},   // only GMT
		{"Sun, 06 Nov 1994 08:49:37 +0000", time.Time{}}, // wrong length, and not GMT
		{"Sun, 6 Nov 1994 08:49:37 GMT", time.Time{}},    // 2DIGIT day
		{"Sun, 06 Nov 94 08:49:37 GMT", time.Time{}},
		{"Sun,  06 Nov 1994 08:49:37 GMT", time.Time{}},
		{" Sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 GMT ", time.Time{}},
		{"Sun, 06 Nov 1994 8:49:37  GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08.49.37 GMT", time.Time{}},
		{"Sun, 06-Nov-1994 08:49:37 GMT", time.Time{}},
		{"Son, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 00 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Sun, 31 Nov 1994 08:49:37 GMT", time.Time{}},
		{"Thu, 29 Feb 2023 00:00:00 GMT", time.Time{}},
		{"Thu, 29 Feb 1900 00:00:00 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 24:00:00 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 23:60:00 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 23:59:61 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 -1:00:00 GMT", time.Time{}},
		{"Sun, 06 Nov 199x 08:49:37 GMT", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 GMT\x00", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 GMTX", time.Time{}},
		{"Sun, 06 Xyz 1994 08:49:37 GMT", time.Time{}},
		{"Sun 06-Nov-94 08:49:37 GMT", time.Time{}},
		{"Sun, 06-Nov-94 08:49:37 GMT", time.Time{}}, // rfc850 needs the long day name
		{"Sundae, 06-Nov-94 08:49:37 GMT", time.Time{}},
		{"Sunday, 06-Nov-94 08:49:37 UTC", time.Time{}},
		{"Sunday, 06 Nov 94 08:49:37 GMT", time.Time{}},
		{"Sunday, 6-Nov-94 08:49:37 GMT", time.Time{}},
		{"Sunday, 06-Nov-9x 08:49:37 GMT", time.Time{}},
		{"Sunday, 06-Nov-94 08:49:37GMT ", time.Time{}},
		{"Sunday; 06-Nov-94 08:49:37 GMT", time.Time{}},
		{"Sun Nov  6 08:49:37 94", time.Time{}},
		{"Sun Nov   6 08:49:37 1994", time.Time{}},
		{"Sun Nov 6 08:49:37 1994 ", time.Time{}},
		{"Sun Nov  x 08:49:37 1994", time.Time{}},
		{"Sun Nov  6 08:49:37 1994 GMT", time.Time{}},
		{"Sun Nov  0 08:49:37 1994", time.Time{}},
		{"Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT", time.Time{}},
		{"1994-11-06T08:49:37Z", time.Time{}},
		{"784111777", time.Time{}},
		{"Monday", time.Time{}},
		{"Sunday, ", time.Time{}},
		{"x", time.Time{}},
	} {
		got, ok := parseHTTPDate(tc.in, fixedNow(2025))
		if ok != !tc.want.IsZero() || ok && (!got.Equal(tc.want) || got.Location() != time.UTC) {
			t.Errorf("ParseHTTPDate(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
}

// TestParseHTTPDateTwoDigitYear checks RFC 9110 §5.6.7: a two-digit year more than 50 years in the
// future is the most recent past year with those digits.
func TestParseHTTPDateTwoDigitYear(t *testing.T) {
	for _, tc := range []struct {
		now, yy, want int
	}{
		{2025, 94, 1994},
		{2025, 0, 2000},
		{2025, 25, 2025},
		{2025, 30, 2030},
		{2025, 75, 2075},
		{2025, 76, 1976},
		{2025, 99, 1999},
		{2090, 10, 2110},
		{2090, 40, 2140},
		{2090, 41, 2041},
		{1999, 49, 2049},
		{1999, 50, 1950},
	} {
		s := "Monday, 01-Jan-" + string([]byte{byte('0' + tc.yy/10), byte('0' + tc.yy%10)}) + " 00:00:00 GMT"
		got, ok := parseHTTPDate(s, fixedNow(tc.now))
		if !ok || got.Year() != tc.want {
			t.Errorf("in %d, %q = %v, %v; want year %d", tc.now, s, got, ok, tc.want)
		}
	}
	// ParseHTTPDate uses the real clock; 94 is 1994 until 2044.
	if got, ok := ParseHTTPDate("Sunday, 06-Nov-94 08:49:37 GMT"); !ok || got.Year() != 1994 {
		t.Errorf("ParseHTTPDate rfc850 = %v, %v", got, ok)
	}
}

// TestParseHTTPDateVsNetHTTP compares ParseHTTPDate with http.ParseTime on valid dates. They differ
// where http.ParseTime is laxer (any zone name in rfc850-date, no case-sensitivity for the zone)
// and on two-digit years, where http.ParseTime follows time.Parse (69-99 is 19xx) instead of the
// RFC's 50-year rule.
func TestParseHTTPDateVsNetHTTP(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		tm := time.Unix(rng.Int64N(253402300799), 0).UTC() // up to 9999-12-31
		for _, s := range []string{tm.Format(http.TimeFormat), tm.Format(time.ANSIC)} {
			got, ok := ParseHTTPDate(s)
			want, err := http.ParseTime(s)
			if !ok || err != nil || !got.Equal(want) || !got.Equal(tm) {
				t.Fatalf("%q: ParseHTTPDate = %v, %v; http.ParseTime = %v, %v; want %v", s, got, ok, want, err, tm)
			}
		}
	}
}

func TestFormatHTTPDate(t *testing.T) {
	imf := regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$`)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(1994, 11, 6, 8, 49, 37, 999_999_999, time.UTC), "Sun, 06 Nov 1994 08:49:37 GMT"},
		{time.Date(1994, 11, 6, 9, 49, 37, 0, time.FixedZone("CET", 3600)), "Sun, 06 Nov 1994 08:49:37 GMT"},
		{modTime, lastModified},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "Mon, 01 Jan 0001 00:00:00 GMT"},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "Fri, 31 Dec 9999 23:59:59 GMT"},
	} {
		if got := FormatHTTPDate(tc.t); got != tc.want {
			t.Errorf("FormatHTTPDate(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	// Years outside 4 digits fall back to time.Format (never an HTTP-date, but no garbage).
	if got := FormatHTTPDate(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); !strings.HasSuffix(got, " GMT") || !strings.Contains(got, "10000") {
		t.Errorf("year 10000: %q", got)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		tm := time.Unix(rng.Int64N(253402300799), rng.Int64N(1e9)).In(time.FixedZone("Z", int(rng.Int64N(86400))-43200))
		got := FormatHTTPDate(tm)
		if want := tm.UTC().Format(http.TimeFormat); got != want || !imf.MatchString(got) {
			t.Fatalf("FormatHTTPDate(%v) = %q, want %q", tm, got, want)
		}
		back, ok := ParseHTTPDate(got)
		if !ok || back.Unix() != tm.Unix() {
			t.Fatalf("round trip of %q: %v, %v", got, back, ok)
		}
	}
}

func TestETag(t *testing.T) {
	tm := time.Unix(1, 2)
	if got := ETag(10, tm); got != `"3b9aca02-a"` {
		t.Errorf("ETag = %s", got)
	}
	if got := ETag(0, time.Time{}); got != `"0-0"` {
		t.Errorf("ETag of zero = %s", got)
	}
	if got := string(AppendETag([]byte("x"), 255, tm)); got != `x"3b9aca02-ff"` {
		t.Errorf("AppendETag = %s", got)
	}
	// Within the buffer size for the largest values, and a valid strong entity-tag.
	for _, tc := range []struct {
		size int64
		t    time.Time
	}{
		{-1, time.Unix(-1, 0)},
		{1<<63 - 1, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{0, time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)},
	} {
		e := ETag(tc.size, tc.t)
		if len(e) > etagMax {
			t.Errorf("ETag(%d, %v) = %s: longer than %d", tc.size, tc.t, e, etagMax)
		}
		if opaque, weak, rest, ok := scanETag(e); !ok || weak || rest != "" || opaque != e {
			t.Errorf("ETag(%d, %v) = %s is not a strong entity-tag", tc.size, tc.t, e)
		}
	}
	// The same time in another zone gives the same tag; any change of size or time a new one.
	if ETag(10, modTime) != ETag(10, modTime.In(time.FixedZone("X", 7200))) {
		t.Error("ETag depends on the time zone")
	}
	seen := map[string]bool{}
	for _, d := range []time.Duration{0, time.Nanosecond, time.Microsecond, time.Second, -time.Nanosecond} {
		for _, size := range []int64{0, 1, 10, 1 << 40} {
			e := ETag(size, modTime.Add(d))
			if seen[e] {
				t.Errorf("ETag collision for %v %d: %s", d, size, e)
			}
			seen[e] = true
		}
	}
}

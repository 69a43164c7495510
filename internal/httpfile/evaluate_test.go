package httpfile

import (
	"strings"
	"testing"
	"time"
)

// TestPreconditions checks If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since,
// alone and together, in the order of RFC 9110 §13.2.2.
func TestPreconditions(t *testing.T) {
	etag := ETag(10, modTime) // the current entity-tag
	weak := "W/" + etag       // the same opaque-tag, weak
	before := "Tue, 05 Mar 2024 06:07:07 GMT"
	after := "Tue, 05 Mar 2024 06:07:09 GMT"
	lm := lastModified // 06:07:08, while modTime is 06:07:08.9

	for _, tc := range []struct {
		name   string
		method string // "" means GET
		c      Conditions
		want   int
	}{
		{name: "none", want: 200},

		// If-None-Match: weak comparison, "*" matches, 304 for GET/HEAD and 412 otherwise.
		{name: "INM current", c: Conditions{IfNoneMatch: etag}, want: 304},
		{name: "INM current HEAD", method: "HEAD", c: Conditions{IfNoneMatch: etag}, want: 304},
		{name: "INM current POST", method: "POST", c: Conditions{IfNoneMatch: etag}, want: 412},
		{name: "INM current PUT", method: "PUT", c: Conditions{IfNoneMatch: etag}, want: 412},
		{name: "INM current DELETE", method: "DELETE", c: Conditions{IfNoneMatch: etag}, want: 412},
		{name: "INM weak of current", c: Conditions{IfNoneMatch: weak}, want: 304},
		{name: "INM star", c: Conditions{IfNoneMatch: "*"}, want: 304},
		{name: "INM star OWS", c: Conditions{IfNoneMatch: " \t* "}, want: 304},
		{name: "INM star PUT", method: "PUT", c: Conditions{IfNoneMatch: "*"}, want: 412},
		{name: "INM other", c: Conditions{IfNoneMatch: `"other"`}, want: 200},
		{name: "INM other POST", method: "POST", c: Conditions{IfNoneMatch: `"other"`}, want: 200},
		{name: "INM list", c: Conditions{IfNoneMatch: `"a", W/"b",` + etag}, want: 304},
		{name: "INM list tabs and empties", c: Conditions{IfNoneMatch: "\t,, \"a\"\t,\t," + etag + " , "}, want: 304},
		{name: "INM list no match", c: Conditions{IfNoneMatch: `"a", "b"`}, want: 200},
		{name: "INM unquoted", c: Conditions{IfNoneMatch: strings.Trim(etag, `"`)}, want: 200},
		{name: "INM unterminated", c: Conditions{IfNoneMatch: `"abc`}, want: 200},
		{name: "INM malformed before current", c: Conditions{IfNoneMatch: `"a" junk, ` + etag}, want: 200},
		{name: "INM malformed after current", c: Conditions{IfNoneMatch: etag + `, junk`}, want: 304},
		{name: "INM missing comma", c: Conditions{IfNoneMatch: `"a"` + etag}, want: 200},
		{name: "INM star in list", c: Conditions{IfNoneMatch: `"a", *`}, want: 200},
		{name: "INM control char", c: Conditions{IfNoneMatch: "\"a\x01\", " + etag}, want: 200},
		{name: "INM space inside", c: Conditions{IfNoneMatch: `"a b", ` + etag}, want: 200},
		{name: "INM obs-text", c: Conditions{IfNoneMatch: "\"\xff\xfe\", " + etag}, want: 304},
		{name: "INM lower w", c: Conditions{IfNoneMatch: "w/" + etag}, want: 200},
		{name: "INM only commas", c: Conditions{IfNoneMatch: ", ,"}, want: 200},

		// If-Match: strong comparison, "*" matches an existing representation.
		{name: "IM current", c: Conditions{IfMatch: etag}, want: 200},
		{name: "IM current PUT", method: "PUT", c: Conditions{IfMatch: etag}, want: 200},
		{name: "IM weak of current", c: Conditions{IfMatch: weak}, want: 412},
		{name: "IM star", c: Conditions{IfMatch: "*"}, want: 200},
		{name: "IM other", c: Conditions{IfMatch: `"other"`}, want: 412},
		{name: "IM other DELETE", method: "DELETE", c: Conditions{IfMatch: `"other"`}, want: 412},
		{name: "IM list", c: Conditions{IfMatch: `"a",` + etag + `,"b"`}, want: 200},
		{name: "IM malformed", c: Conditions{IfMatch: `"a`}, want: 412},
		{name: "IM star in list", c: Conditions{IfMatch: `*, ` + etag}, want: 412},

		// If-Unmodified-Since, only without If-Match.
		{name: "IUS equal", c: Conditions{IfUnmodifiedSince: lm}, want: 200},
		{name: "IUS after", c: Conditions{IfUnmodifiedSince: after}, want: 200},
		{name: "IUS before", c: Conditions{IfUnmodifiedSince: before}, want: 412},
		{name: "IUS before PUT", method: "PUT", c: Conditions{IfUnmodifiedSince: before}, want: 412},
		{name: "IUS before asctime", c: Conditions{IfUnmodifiedSince: "Tue Mar  5 06:07:07 2024"}, want: 412},
		{name: "IUS invalid", c: Conditions{IfUnmodifiedSince: "yesterday"}, want: 200},
		{name: "IUS list of dates", c: Conditions{IfUnmodifiedSince: before + ", " + before}, want: 200},
		{name: "IUS before but IM matches", c: Conditions{IfMatch: etag, IfUnmodifiedSince: before}, want: 200},
		{name: "IUS after but IM fails", c: Conditions{IfMatch: `"x"`, IfUnmodifiedSince: after}, want: 412},

		// If-Modified-Since, only for GET/HEAD and without If-None-Match.
		{name: "IMS equal", c: Conditions{IfModifiedSince: lm}, want: 304},
		{name: "IMS equal HEAD", method: "HEAD", c: Conditions{IfModifiedSince: lm}, want: 304},
		{name: "IMS after", c: Conditions{IfModifiedSince: after}, want: 304},
		{name: "IMS before", c: Conditions{IfModifiedSince: before}, want: 200},
		{name: "IMS rfc850", c: Conditions{IfModifiedSince: "Tuesday, 05-Mar-24 06:07:08 GMT"}, want: 304},
		{name: "IMS invalid", c: Conditions{IfModifiedSince: "Tue, 05 Mar 2024 06:07:08 UTC"}, want: 200},
		{name: "IMS list of dates", c: Conditions{IfModifiedSince: lm + ", " + lm}, want: 200},
		{name: "IMS POST", method: "POST", c: Conditions{IfModifiedSince: after}, want: 200},
		{name: "IMS PUT", method: "PUT", c: Conditions{IfModifiedSince: after}, want: 200},
		{name: "IMS with INM not matching", c: Conditions{IfNoneMatch: `"x"`, IfModifiedSince: after}, want: 200},
		{name: "IMS before with INM matching", c: Conditions{IfNoneMatch: etag, IfModifiedSince: before}, want: 304},

		// Order of evaluation.
		{name: "IM fails before INM", c: Conditions{IfMatch: `"x"`, IfNoneMatch: etag}, want: 412},
		{name: "IUS fails before INM", c: Conditions{IfUnmodifiedSince: before, IfNoneMatch: etag}, want: 412},
		{name: "IUS fails before IMS", c: Conditions{IfUnmodifiedSince: before, IfModifiedSince: after}, want: 412},
		{name: "IM and INM both match", c: Conditions{IfMatch: etag, IfNoneMatch: etag}, want: 304},
		{name: "304 before Range", c: Conditions{IfNoneMatch: etag, Range: "bytes=0-4"}, want: 304},
		{name: "304 by date before Range", c: Conditions{IfModifiedSince: lm, Range: "bytes=0-4"}, want: 304},
		{name: "412 before Range", c: Conditions{IfMatch: `"x"`, Range: "bytes=0-4"}, want: 412},
		{name: "412 before 416", c: Conditions{IfMatch: `"x"`, Range: "bytes=50-"}, want: 412},
		{name: "IM passes then Range", c: Conditions{IfMatch: etag, Range: "bytes=0-4"}, want: 206},
		{name: "IMS modified then Range", c: Conditions{IfModifiedSince: before, Range: "bytes=0-4"}, want: 206},

		// Methods that select no representation ignore every condition (RFC 9110 §13.2.1).
		{name: "OPTIONS", method: "OPTIONS", c: Conditions{IfMatch: `"x"`, IfNoneMatch: "*"}, want: 200},
		{name: "TRACE", method: "TRACE", c: Conditions{IfUnmodifiedSince: before}, want: 200},
		{name: "CONNECT", method: "CONNECT", c: Conditions{IfNoneMatch: etag}, want: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = "GET"
			}
			d := Evaluate(method, tc.c, etag, modTime, 10)
			if d.Status != tc.want {
				t.Errorf("%s %+v: got %d, want %d", method, tc.c, d.Status, tc.want)
			}
			if d.Status != 206 && d.Ranges() != nil {
				t.Errorf("status %d with ranges %v", d.Status, d.Ranges())
			}
		})
	}
}

// TestPreconditionsUnknown checks the answers when the representation has no ETag or no
// modification time.
func TestPreconditionsUnknown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		etag    string
		modTime time.Time
		c       Conditions
		want    int
	}{
		{"no ETag, INM", "", modTime, Conditions{IfNoneMatch: `"x"`}, 200},
		{"no ETag, INM empty tag", "", modTime, Conditions{IfNoneMatch: `""`}, 200},
		{"no ETag, INM star", "", modTime, Conditions{IfNoneMatch: "*"}, 304},
		{"no ETag, IM", "", modTime, Conditions{IfMatch: `"x"`}, 412},
		{"no ETag, IM star", "", modTime, Conditions{IfMatch: "*"}, 200},
		{"malformed ETag, IM", `"x`, modTime, Conditions{IfMatch: `"x`}, 412},
		{"empty opaque-tag matches itself", `""`, modTime, Conditions{IfNoneMatch: `""`}, 304},
		{"weak current ETag, INM", `W/"x"`, modTime, Conditions{IfNoneMatch: `"x"`}, 304},
		{"weak current ETag, IM", `W/"x"`, modTime, Conditions{IfMatch: `W/"x"`}, 412},
		{"zero time, IMS", `"x"`, time.Time{}, Conditions{IfModifiedSince: "Tue, 05 Mar 2024 06:07:08 GMT"}, 200},
		{"epoch, IMS", `"x"`, time.Unix(0, 0), Conditions{IfModifiedSince: "Thu, 01 Jan 1970 00:00:00 GMT"}, 200},
		{"zero time, IUS", `"x"`, time.Time{}, Conditions{IfUnmodifiedSince: "Thu, 01 Jan 1970 00:00:00 GMT"}, 200},
		{"epoch+1s, IMS", `"x"`, time.Unix(1, 0), Conditions{IfModifiedSince: "Thu, 01 Jan 1970 00:00:01 GMT"}, 304},
		{"before 1970, IMS", `"x"`, time.Unix(-1, 500), Conditions{IfModifiedSince: "Wed, 31 Dec 1969 23:59:59 GMT"}, 304},
		{"before 1970, IUS", `"x"`, time.Unix(-1, 500), Conditions{IfUnmodifiedSince: "Wed, 31 Dec 1969 23:59:58 GMT"}, 412},
		{"non-UTC modTime", `"x"`, modTime.In(time.FixedZone("X", 5*3600)), Conditions{IfModifiedSince: lastModified}, 304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := Evaluate("GET", tc.c, tc.etag, tc.modTime, 10); d.Status != tc.want {
				t.Errorf("%+v: got %d, want %d", tc.c, d.Status, tc.want)
			}
		})
	}
}

func TestDecisionRanges(t *testing.T) {
	d := Evaluate("GET", Conditions{Range: "bytes=1-2"}, "", modTime, 10)
	rs := d.Ranges()
	if len(rs) != 1 || rs[0] != (Range{1, 2}) || d.Multipart() {
		t.Fatalf("Ranges() = %v, multipart %v", rs, d.Multipart())
	}
	// A copy of a Decision has its own range.
	d2 := d
	d2.Ranges()[0] = Range{5, 6}
	if d.Ranges()[0] != (Range{1, 2}) {
		t.Errorf("copy shares the single range")
	}
	// Several ranges are not aliased to Evaluate's scratch space.
	d = Evaluate("GET", Conditions{Range: "bytes=1-2,4-5"}, "", modTime, 10)
	e := Evaluate("GET", Conditions{Range: "bytes=7-8,0-0"}, "", modTime, 10)
	if got := d.Ranges(); len(got) != 2 || got[0] != (Range{1, 2}) || got[1] != (Range{4, 5}) {
		t.Errorf("Ranges() = %v after another Evaluate", got)
	}
	if got := e.Ranges(); len(got) != 2 || got[0] != (Range{7, 8}) {
		t.Errorf("Ranges() = %v", got)
	}
}

func TestClampModTime(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := ClampModTime(now.Add(time.Hour), now); !got.Equal(now) {
		t.Errorf("future modTime: got %v, want now", got)
	}
	if got := ClampModTime(now.Add(-time.Hour), now); !got.Equal(now.Add(-time.Hour)) {
		t.Errorf("past modTime: got %v", got)
	}
}

func TestKnownModTime(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{time.Time{}, false},
		{time.Unix(0, 0), false},
		{time.Unix(0, 0).In(time.FixedZone("X", 3600)), false},
		{time.Unix(0, 1), true},
		{modTime, true},
	} {
		if got := KnownModTime(tc.t); got != tc.want {
			t.Errorf("KnownModTime(%v) = %v", tc.t, got)
		}
	}
}

package httpfile

import "time"

// TimeFormat is the layout of an IMF-fixdate (RFC 9110 §5.6.7) for time.Format, the only form
// HTTP senders may generate. It is net/http's TimeFormat.
const TimeFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// Lengths of the fixed-width date forms of RFC 9110 §5.6.7.
const (
	imfFixdateLen = len("Sun, 06 Nov 1994 08:49:37 GMT")
	asctimeLen    = len("Sun Nov  6 08:49:37 1994")
	rfc850TailLen = len(", 06-Nov-94 08:49:37 GMT") // after the long day name
)

// rfc850Window is how far in the future a two-digit rfc850-date year may lie before it is taken to
// be in the past century (RFC 9110 §5.6.7: "more than 50 years in the future" MUST be read as the
// most recent past year with the same last two digits).
const rfc850Window = 50

var (
	shortDays = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longDays  = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months    = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// FormatHTTPDate returns t as an IMF-fixdate in GMT, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", the
// form of Last-Modified and Date. The sub-second part of t is dropped.
func FormatHTTPDate(t time.Time) string {
	var buf [imfFixdateLen]byte
	return string(AppendHTTPDate(buf[:0], t))
}

// AppendHTTPDate appends FormatHTTPDate(t) to dst.
func AppendHTTPDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, TimeFormat) // not representable in 4 digits; never in practice
	}
	hour, min, sec := t.Clock()
	dst = append(dst, shortDays[t.Weekday()]...)
	dst = append(dst, ',', ' ', byte('0'+day/10), byte('0'+day%10), ' ')
	dst = append(dst, months[month-1]...)
	dst = append(dst, ' ',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), ' ',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10))
	return append(dst, " GMT"...)
}

// ParseHTTPDate parses an HTTP-date (RFC 9110 §5.6.7): the IMF-fixdate, or one of the obsolete
// rfc850-date and asctime-date forms, which recipients must accept. The match is exact and
// case-sensitive, as the RFC says; the day name is checked to be a day name, not to agree with
// the date. The result is in UTC. ok is false for anything else, including an empty string.
func ParseHTTPDate(s string) (t time.Time, ok bool) {
	return parseHTTPDate(s, time.Now)
}

// parseHTTPDate is ParseHTTPDate with the clock used for two-digit years as a parameter, for tests.
func parseHTTPDate(s string, now func() time.Time) (time.Time, bool) {
	var day, mon, year int
	var clock string
	switch {
	case len(s) == imfFixdateLen && s[3] == ',':
		// Sun, 06 Nov 1994 08:49:37 GMT
		if !isShortDay(s[:3]) || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[25:] != " GMT" {
			return time.Time{}, false
		}
		day = digits2(s[5:7])
		mon = month(s[8:11])
		year = digits4(s[12:16])
		clock = s[17:25]
	case len(s) == asctimeLen && s[3] == ' ':
		// Sun Nov  6 08:49:37 1994
		if !isShortDay(s[:3]) || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
			return time.Time{}, false
		}
		mon = month(s[4:7])
		if s[8] == ' ' { // ( SP DIGIT ) / 2DIGIT
			day = -1
			if isDigit(s[9]) {
				day = int(s[9] - '0')
			}
		} else {
			day = digits2(s[8:10])
		}
		year = digits4(s[20:24])
		clock = s[11:19]
	default:
		// Sunday, 06-Nov-94 08:49:37 GMT
		n := len(s) - rfc850TailLen
		if n < len("Monday") || !isLongDay(s[:n]) {
			return time.Time{}, false
		}
		s = s[n:]
		if s[:2] != ", " || s[4] != '-' || s[8] != '-' || s[11] != ' ' || s[20:] != " GMT" {
			return time.Time{}, false
		}
		day = digits2(s[2:4])
		mon = month(s[5:8])
		yy := digits2(s[9:11])
		if yy >= 0 {
			year = fullYear(yy, now().UTC().Year())
		} else {
			year = -1
		}
		clock = s[12:20]
	}
	if clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, false
	}
	hour, min, sec := digits2(clock[0:2]), digits2(clock[3:5]), digits2(clock[6:8])
	if year < 0 || mon < 1 || day < 1 || day > daysIn(mon, year) ||
		hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60 { // 60: leap second
		return time.Time{}, false
	}
	return time.Date(year, time.Month(mon), day, hour, min, sec, 0, time.UTC), true
}

// fullYear expands the two-digit year yy of an rfc850-date seen in year now (RFC 9110 §5.6.7).
func fullYear(yy, now int) int {
	y := now - now%100 + yy
	if y > now+rfc850Window {
		y -= 100
	} else if y+100 <= now+rfc850Window {
		y += 100
	}
	return y
}

// digits2 returns the value of two ASCII digits, or -1.
func digits2(s string) int {
	if !isDigit(s[0]) || !isDigit(s[1]) {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

// digits4 returns the value of four ASCII digits, or -1.
func digits4(s string) int {
	hi, lo := digits2(s[:2]), digits2(s[2:])
	if hi < 0 || lo < 0 {
		return -1
	}
	return hi*100 + lo
}

// month returns 1 to 12 for "Jan" to "Dec", or -1.
func month(s string) int {
	for i, m := range months {
		if s == m {
			return i + 1
		}
	}
	return -1
}

func isShortDay(s string) bool {
	for _, d := range shortDays {
		if s == d {
			return true
		}
	}
	return false
}

func isLongDay(s string) bool {
	for _, d := range longDays {
		if s == d {
			return true
		}
	}
	return false
}

// daysIn returns the number of days of month mon (1 to 12) of year.
func daysIn(mon, year int) int {
	switch mon {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// KnownModTime reports whether modTime is a real modification time. The zero time and the Unix
// epoch mean "unknown": file systems and archives report them when they have no time, and
// reproducible builds stamp every file with the epoch, so validating against them would answer
// 304 for content that did change. With an unknown time, send no Last-Modified; Evaluate then
// ignores If-Modified-Since, If-Unmodified-Since and date If-Range values, as net/http does.
func KnownModTime(modTime time.Time) bool {
	return !modTime.IsZero() && !modTime.Equal(unixEpoch)
}

var unixEpoch = time.Unix(0, 0)

// ClampModTime returns modTime, or now if modTime is later than now. RFC 9110 §8.8.2.1: an origin
// server must not send a Last-Modified later than its Date, and must replace a modification time in
// its future by the time of the response. Pass the clamped time to Evaluate too, so that
// conditions are compared with the Last-Modified that is actually sent.
func ClampModTime(modTime, now time.Time) time.Time {
	if modTime.After(now) {
		return now
	}
	return modTime
}

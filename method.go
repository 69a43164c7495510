package tinyhttp

import "strconv"

// Method is an HTTP request method, case-sensitive as RFC 9110 §9.1 says: "get"
// is not GET. Unknown but well-formed methods are handed to the application.
type Method string

// The methods of RFC 9110 and RFC 5789.
const (
	MethodGet     Method = "GET"
	MethodHead    Method = "HEAD"
	MethodPost    Method = "POST"
	MethodPut     Method = "PUT"
	MethodDelete  Method = "DELETE"
	MethodConnect Method = "CONNECT"
	MethodOptions Method = "OPTIONS"
	MethodTrace   Method = "TRACE"
	MethodPatch   Method = "PATCH"
)

// String returns the method as sent.
func (m Method) String() string { return string(m) }

// HTTPVersion is the protocol version of a request, such as 1.1.
type HTTPVersion struct{ Major, Minor uint8 }

// String returns the version as "major.minor", e.g. "1.1".
func (v HTTPVersion) String() string {
	return strconv.Itoa(int(v.Major)) + "." + strconv.Itoa(int(v.Minor))
}

// atLeast reports whether v is major.minor or later.
func (v HTTPVersion) atLeast(major, minor uint8) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

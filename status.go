package tinyhttp

import "strconv"

// StatusCode is an HTTP response status code, such as 200 or 404.
type StatusCode int

// Status codes the library itself sends; any other code may be used too.
const (
	StatusContinue                     StatusCode = 100
	StatusSwitchingProtocols           StatusCode = 101
	StatusOK                           StatusCode = 200
	StatusNoContent                    StatusCode = 204
	StatusPartialContent               StatusCode = 206
	StatusNotModified                  StatusCode = 304
	StatusBadRequest                   StatusCode = 400
	StatusNotFound                     StatusCode = 404
	StatusRequestTimeout               StatusCode = 408
	StatusPreconditionFailed           StatusCode = 412
	StatusRequestEntityTooLarge        StatusCode = 413
	StatusRequestURITooLong            StatusCode = 414
	StatusUnsupportedMediaType         StatusCode = 415
	StatusRequestedRangeNotSatisfiable StatusCode = 416
	StatusExpectationFailed            StatusCode = 417
	StatusUpgradeRequired              StatusCode = 426
	StatusRequestHeaderFieldsTooLarge  StatusCode = 431
	StatusInternalServerError          StatusCode = 500
	StatusNotImplemented               StatusCode = 501
	StatusServiceUnavailable           StatusCode = 503
	StatusHTTPVersionNotSupported      StatusCode = 505
)

// reasonPhrases are the reason phrases of RFC 9110 §15 and the other
// registered codes tiny-http knows.
var reasonPhrases = map[StatusCode]string{
	100: "Continue",
	101: "Switching Protocols",
	102: "Processing",
	103: "Early Hints",
	200: "OK",
	201: "Created",
	202: "Accepted",
	203: "Non-Authoritative Information",
	204: "No Content",
	205: "Reset Content",
	206: "Partial Content",
	207: "Multi-Status",
	208: "Already Reported",
	226: "IM Used",
	300: "Multiple Choices",
	301: "Moved Permanently",
	302: "Found",
	303: "See Other",
	304: "Not Modified",
	305: "Use Proxy",
	307: "Temporary Redirect",
	308: "Permanent Redirect",
	400: "Bad Request",
	401: "Unauthorized",
	402: "Payment Required",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	406: "Not Acceptable",
	407: "Proxy Authentication Required",
	408: "Request Timeout",
	409: "Conflict",
	410: "Gone",
	411: "Length Required",
	412: "Precondition Failed",
	413: "Content Too Large",
	414: "URI Too Long",
	415: "Unsupported Media Type",
	416: "Range Not Satisfiable",
	417: "Expectation Failed",
	418: "I'm a teapot",
	421: "Misdirected Request",
	422: "Unprocessable Content",
	423: "Locked",
	424: "Failed Dependency",
	425: "Too Early",
	426: "Upgrade Required",
	428: "Precondition Required",
	429: "Too Many Requests",
	431: "Request Header Fields Too Large",
	451: "Unavailable For Legal Reasons",
	500: "Internal Server Error",
	501: "Not Implemented",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
	505: "HTTP Version Not Supported",
	506: "Variant Also Negotiates",
	507: "Insufficient Storage",
	508: "Loop Detected",
	510: "Not Extended",
	511: "Network Authentication Required",
}

// DefaultReasonPhrase returns the standard reason phrase of the code, such as
// "Not Found" for 404, or "Unknown" for a code that has none.
func (c StatusCode) DefaultReasonPhrase() string {
	if c >= 0 && int(c) < len(reasonTable) && reasonTable[c] != "" {
		return reasonTable[c]
	}
	return "Unknown"
}

// reasonTable indexes reasonPhrases by code: every response looks its
// phrase up, and an array is faster than a map.
var reasonTable = func() (t [600]string) {
	for c, p := range reasonPhrases {
		t[c] = p
	}
	return t
}()

// String returns the code and its reason phrase, e.g. "404 Not Found".
func (c StatusCode) String() string {
	return strconv.Itoa(int(c)) + " " + c.DefaultReasonPhrase()
}

// bodyAllowed reports whether a response with this status may carry content
// (RFC 9110 §6.4.1: never for 1xx, 204 and 304).
func (c StatusCode) bodyAllowed() bool {
	return c >= 200 && c != 204 && c != 304
}

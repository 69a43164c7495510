package tinyhttp

// The package's errors: every sentinel an application can test with
// errors.Is, the parse error that carries an automatic status, and
// StatusForError, which maps them to the status to answer with.

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// Parsing errors. Each becomes an automatic response with the status that
// CONFORMANCE.md gives, and the connection is closed after it.
var (
	// ErrMalformedRequest is a request that breaks RFC 9112's syntax (400).
	ErrMalformedRequest = errors.New("tinyhttp: malformed request")
	// ErrRequestLineTooLong is a request line above the limit (414).
	ErrRequestLineTooLong = errors.New("tinyhttp: request line too long")
	// ErrHeaderTooLarge is a header section above MaxHeaderBytes or MaxHeaderFields (431).
	ErrHeaderTooLarge = errors.New("tinyhttp: request header section too large")
	// ErrVersionNotSupported is a request for HTTP/2 or later on this HTTP/1.x server (505).
	ErrVersionNotSupported = errors.New("tinyhttp: HTTP version not supported")
	// ErrUnsupportedTransferCoding is a transfer coding other than chunked (501).
	ErrUnsupportedTransferCoding = errors.New("tinyhttp: unsupported transfer coding")
	// ErrExpectationFailed is an Expect value other than 100-continue (417).
	ErrExpectationFailed = errors.New("tinyhttp: unsupported expectation")
	// ErrBodyTooLarge is a request body above MaxBodyBytes (413).
	ErrBodyTooLarge = errors.New("tinyhttp: request body too large")
)

// parseError carries the status code to answer a bad request with.
type parseError struct {
	status StatusCode
	err    error  // one of the sentinels above
	detail string // what exactly was wrong, for logs and error strings
}

func (e *parseError) Error() string { return e.err.Error() + ": " + e.detail }
func (e *parseError) Unwrap() error { return e.err }

func badRequest(format string, args ...any) *parseError {
	return &parseError{status: StatusBadRequest, err: ErrMalformedRequest, detail: fmt.Sprintf(format, args...)}
}

// ErrMalformedChunk is a chunked request body that breaks RFC 9112 §7.1
// (400). It wraps ErrMalformedRequest.
var ErrMalformedChunk = fmt.Errorf("%w: bad chunked encoding", ErrMalformedRequest)

// Errors of answering a request.
var (
	// ErrAlreadyAnswered is returned by a second Respond, IntoWriter or Upgrade.
	ErrAlreadyAnswered = errors.New("tinyhttp: request already answered")
	// ErrConnectionClosed is returned when the request's connection closed
	// before its response could be written.
	ErrConnectionClosed = errors.New("tinyhttp: connection closed")
	// ErrClientDisconnected is the cause (context.Cause) of a request
	// context that ended because the client closed or reset the connection.
	ErrClientDisconnected = errors.New("tinyhttp: client disconnected")
	// ErrNotUpgradable is returned by Upgrade for a request that did not ask to
	// switch protocols (Connection: upgrade and Upgrade on HTTP/1.1).
	ErrNotUpgradable = errors.New("tinyhttp: request did not ask for an upgrade")
	// ErrBodyClosed is returned by a Read of a request body after the request
	// was answered.
	ErrBodyClosed = errors.New("tinyhttp: request body read after the request was answered")
)

// ErrInvalidResponse is a response that cannot answer a request, such as one
// with a status code outside 200–999. Respond answers 500 instead.
var ErrInvalidResponse = errors.New("tinyhttp: invalid response")

// ErrBodyLength is returned by Respond when a response body is shorter or
// longer than the length it declared. The connection is closed, as its
// framing can no longer be trusted.
var ErrBodyLength = errors.New("tinyhttp: response body length does not match its declared length")

// ErrUnsupportedContentEncoding is returned by Request.DecodedBody for a
// request body in a content coding other than gzip, x-gzip, deflate and
// identity, or in more than one coding. The application should answer 415
// (StatusForError does), preferably with "Accept-Encoding: gzip, deflate" to
// say what it accepts (RFC 9110 §12.5.3, §15.5.16).
var ErrUnsupportedContentEncoding = errors.New("tinyhttp: unsupported content encoding")

// Errors of receiving requests.
var (
	// ErrUnblocked is returned by a Recv call released by Unblock.
	ErrUnblocked = errors.New("tinyhttp: receive unblocked")
	// ErrServerClosed is returned by the Recv family after Close or Shutdown,
	// once the queued requests are delivered.
	ErrServerClosed = errors.New("tinyhttp: server closed")
)

// ErrAddressInUse is returned when a Unix socket path is served by a live
// process, or when a TCP address is taken (by a listener without
// SO_REUSEPORT, see ServerConfig.ReusePort); the system's error is wrapped too.
var ErrAddressInUse = errors.New("tinyhttp: address already in use")

// ErrInvalidHeader is returned (wrapped) by NewHeader and ParseHeader, and by
// Respond when a response carries a header that cannot be sent safely.
var ErrInvalidHeader = errors.New("tinyhttp: invalid header")

// ErrInvalidCertificate is returned (wrapped) when an SSLConfig's
// certificate or private key cannot be used.
var ErrInvalidCertificate = errors.New("tinyhttp: invalid TLS certificate or key")

// StatusForError returns the status code an application should answer with
// when reading a request body failed with err: 413 for ErrBodyTooLarge
// (MaxBodyBytes, or MaxDecodedBodyBytes in DecodedBody), 415 for
// ErrUnsupportedContentEncoding, 400 for ErrMalformedRequest (including a
// corrupt chunked or compressed body) and a truncated body, 408 for a body
// that timed out, the matching code for the library's other request errors
// (414, 431, 501, 505, 417) and 500 for anything else. A nil err gives 200.
//
//	body, err := req.DecodedBody()
//	if err == nil {
//		data, err = io.ReadAll(body)
//	}
//	if err != nil {
//		req.Respond(tinyhttp.Empty(tinyhttp.StatusForError(err)))
//	}
func StatusForError(err error) StatusCode {
	var ne net.Error
	switch {
	case err == nil:
		return StatusOK
	case errors.Is(err, ErrBodyTooLarge):
		return StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupportedContentEncoding):
		return StatusUnsupportedMediaType
	case errors.Is(err, ErrMalformedRequest), errors.Is(err, io.ErrUnexpectedEOF):
		return StatusBadRequest
	case errors.Is(err, ErrRequestLineTooLong):
		return StatusRequestURITooLong
	case errors.Is(err, ErrHeaderTooLarge):
		return StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, ErrUnsupportedTransferCoding):
		return StatusNotImplemented
	case errors.Is(err, ErrVersionNotSupported):
		return StatusHTTPVersionNotSupported
	case errors.Is(err, ErrExpectationFailed):
		return StatusExpectationFailed
	case errors.As(err, &ne) && ne.Timeout():
		return StatusRequestTimeout
	}
	return StatusInternalServerError
}

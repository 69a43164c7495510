package tinyhttp

// The prepare step: (request, Response) → what goes on the wire. It runs on
// the answering goroutine before the write turn is taken (pipeline.go), in
// this order: validation (an invalid response becomes a 500), the request's
// file conditions and ranges (fileresponse.go), content coding
// (compress.go), then the framing. The turn holder then only serialises and
// writes (serialize.go).

// outgoing is a response prepared for the wire: the response, what the
// writer needs of the request it answers, and its framing.
type outgoing struct {
	resp *Response
	x    exchange
	f    framing
}

// prepare turns resp, the answer to r, into what goes on the wire, out,
// under the server's policy. A response that cannot be sent (a status
// outside 200–999, an invalid header field) becomes an empty 500, and its
// error is returned.
func prepare(out *outgoing, r *Request, resp *Response, policy *responsePolicy) error {
	verr := resp.validate()
	if verr != nil {
		resp.closeBody()
		resp = Empty(StatusInternalServerError)
	}
	r.fillExchange(&out.x)
	if resp.file != nil {
		// Before the coding: a 304 must describe the coded 200 it stands for.
		resp = applyFileConditions(r, resp, &out.x, policy.compress)
	}
	out.encodeAndFrame(resp, policy)
	return verr
}

// prepareFor prepares a valid resp for exchange x. The server's automatic
// answers (400s, a dropped request's 500), which have no request, start
// here.
func prepareFor(resp *Response, x exchange, policy *responsePolicy) outgoing {
	out := outgoing{x: x}
	out.encodeAndFrame(resp, policy)
	return out
}

// encodeAndFrame sets resp, content-coded as o.x accepts and policy allows,
// as o's response, and chooses its framing.
func (o *outgoing) encodeAndFrame(resp *Response, policy *responsePolicy) {
	if resp.flags&fromHandler != 0 {
		o.x.teChunked = -1 // net/http ignores TE
	} else if resp.compress || policy.compress != nil {
		resp = applyContentCoding(resp, &o.x, policy.compress)
	}
	o.resp, o.f = resp, resp.chooseFraming(&o.x)
}

// quickBodyBytes is the largest in-memory body that a writer adds to a batch
// after its own response: 64 KiB, about what one socket write takes at
// once, so that a Respond never waits for much more than its own response.
const quickBodyBytes = 64 << 10

// quick reports whether o's bytes are at hand: no body, or a small
// in-memory one. A reader's body may be slow to come (a pipe, a
// computation, a file of any size), and a compressed body costs CPU time.
func (o *outgoing) quick() bool {
	r := o.resp
	switch {
	case o.f == frameNone || o.x.head:
		return true
	case r.kind == bodyString:
		return len(r.str) <= quickBodyBytes
	case r.kind == bodyBytes:
		return len(r.data) <= quickBodyBytes
	}
	return r.kind == bodyNone
}

// fillExchange sets x to what the writer needs of this request.
func (r *Request) fillExchange(x *exchange) {
	*x = exchange{
		head:      r.head.method == MethodHead,
		version:   r.head.version,
		keepAlive: r.head.keepAlive,
		teChunked: -1,
	}
	// deriveFraming counted these fields: most requests skip both scans.
	if r.head.acceptEncLines > 0 {
		x.acceptEnc = joinedValue(r.Headers(), "Accept-Encoding")
	}
	if !r.head.hasTE {
		return
	}
	if chunked, err := transferPreference(r.Headers()); err == nil {
		x.teChunked = 0
		if chunked {
			x.teChunked = 1
		}
	}
}

// framing is how a response body is delimited on the wire.
type framing uint8

const (
	frameNone     framing = iota // no body (HEAD, 1xx, 204, 304)
	frameLength                  // Content-Length
	frameChunked                 // Transfer-Encoding: chunked
	frameUntilEOF                // close-delimited, for HTTP/1.0 and unknown lengths
)

// exchange is what the writer needs to know about the request a response
// answers; it outlives the *Request, so a dropped request can still be
// answered.
type exchange struct {
	head      bool        // HEAD: headers as for GET, no body
	version   HTTPVersion // of the request
	keepAlive bool        // the client allows the connection to persist
	mustClose bool        // the server will close after this response
	teChunked int8        // the TE field's choice: 1 chunked, 0 identity, -1 none
	acceptEnc string      // the Accept-Encoding field, for content coding
}

// chooseFraming picks the body framing like tiny-http: never chunked to
// HTTP/1.0; the request's TE preference if it has one; Content-Length below
// the chunked threshold; chunked otherwise.
func (r *Response) chooseFraming(x *exchange) framing {
	if !r.status.bodyAllowed() {
		return frameNone
	}
	known := r.length >= 0
	if r.flags&fromHandler != 0 && x.head && !known {
		return frameNone // net/http sends a HEAD response of unknown length without framing fields
	}
	if !x.version.atLeast(1, 1) {
		if known {
			return frameLength
		}
		return frameUntilEOF
	}
	switch {
	case x.teChunked == 1:
		return frameChunked
	case x.teChunked == 0 && known:
		return frameLength
	case x.teChunked == 0:
		return frameUntilEOF
	case known && r.length < r.threshold:
		return frameLength
	}
	return frameChunked
}

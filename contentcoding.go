package tinyhttp

// Content codings (gzip, deflate) for responses and request bodies.

// compressPolicy is the server-wide content-coding policy.
type compressPolicy struct{}

// applyContentCoding returns the response to send for exchange x: r itself,
// or r with its body encoded as the client accepts.
func applyContentCoding(r *Response, x *exchange, p *compressPolicy) *Response { return r }

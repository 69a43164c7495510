package tinyhttp

// File responses: conditional requests and ranges for FromFile responses.

// applyFileConditions returns the response to send for a FromFile response
// answering r, after r's conditions and ranges are applied.
func applyFileConditions(r *Request, resp *Response) *Response { return resp }

// Package rawcgi runs a CGI-style program (RFC 3875) for a tinyhttp request
// and sends its output as a raw HTTP response through Request.IntoWriter:
// the status line and header section are written by the application, and
// the body is the program's output, streamed as it comes and delimited by
// the end of the connection (Connection: close).
//
//	h := rawcgi.Shell(rawcgi.DefaultScript)
//	s.Serve(4, h.ServeRequest)
package rawcgi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// DefaultScript is the shell script the example runs: a CGI program that
// describes the request it was given and echoes the request body.
const DefaultScript = `printf 'Content-Type: text/plain; charset=utf-8\n'
printf 'X-CGI: tinyhttp example\n'
printf '\n'
printf 'Hello from a CGI script run by tinyhttp.\n'
printf 'method: %s\n' "$REQUEST_METHOD"
printf 'path: %s\n' "$PATH_INFO"
printf 'query: %s\n' "$QUERY_STRING"
printf 'remote: %s\n' "$REMOTE_ADDR"
printf 'user agent: %s\n' "$HTTP_USER_AGENT"
printf 'date: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')"
if [ "${CONTENT_LENGTH:-0}" -gt 0 ]; then
	printf 'body: '
	cat
	printf '\n'
fi
`

// Defaults of Handler's fields.
const (
	// DefaultTimeout bounds one run of the program.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBodyBytes bounds the request body handed to the program
	// (413 above): the body is read whole before the program starts.
	DefaultMaxBodyBytes = 1 << 20
)

// maxHeaderBytes bounds the program's header section (502 above).
const maxHeaderBytes = 64 << 10

// maxStderrBytes bounds the program's error output kept for the log.
const maxStderrBytes = 4 << 10

// waitDelay is how long the program's output may stay open after it is
// killed (a grandchild holding the pipe) before it is abandoned.
const waitDelay = time.Second

// httpDate is the IMF-fixdate layout of the Date field (RFC 9110 §5.6.7).
const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// serverSoftware is SERVER_SOFTWARE and the Server field.
const serverSoftware = "tinyhttp-cgi-example"

// Handler runs a program for each request it serves.
type Handler struct {
	Path string   // the program, e.g. "/bin/sh"
	Args []string // its arguments, e.g. {"-c", script}
	Env  []string // extra environment entries, "NAME=value"

	Timeout      time.Duration // one run of the program; 0: DefaultTimeout
	MaxBodyBytes int64         // request body given to the program; 0: DefaultMaxBodyBytes
	ErrorLog     *log.Logger   // failures of the program; nil: nothing is logged
}

// Shell returns a Handler that runs script with /bin/sh -c.
func Shell(script string) *Handler {
	return &Handler{Path: "/bin/sh", Args: []string{"-c", script}}
}

// errBadHeader is an unusable header section from the program.
var errBadHeader = errors.New("rawcgi: malformed CGI header section")

// ServeRequest runs the program for req and answers with its output. The
// program's header section ("Name: value" lines up to an empty line; a
// "Status: 404 Not Found" line sets the status) becomes the response's
// header section, after the status line the handler writes; Connection,
// Keep-Alive, Transfer-Encoding and Content-Length are dropped, since the
// body ends with the connection. A program that cannot start, times out or
// prints no valid header section gets an ordinary error response instead.
func (h *Handler) ServeRequest(req *tinyhttp.Request) {
	if err := h.serve(req); err != nil {
		h.logf("rawcgi: %s %s: %v", req.Method(), req.URL(), err)
	}
}

func (h *Handler) serve(req *tinyhttp.Request) error {
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(req.Body(), limit+1))
	switch {
	case err != nil:
		req.Respond(tinyhttp.Empty(tinyhttp.StatusBadRequest))
		return fmt.Errorf("reading the request body: %w", err)
	case int64(len(body)) > limit:
		req.Respond(tinyhttp.Empty(tinyhttp.StatusRequestEntityTooLarge))
		return nil
	}

	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Path, h.Args...)
	cmd.Env = append(cgiEnv(req, len(body)), h.Env...)
	cmd.Stdin = bytes.NewReader(body)
	stderr := &limitedBuffer{max: maxStderrBytes}
	cmd.Stderr = stderr
	cmd.WaitDelay = waitDelay
	killGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		req.Respond(tinyhttp.Empty(tinyhttp.StatusInternalServerError))
		return err
	}
	if err := cmd.Start(); err != nil {
		req.Respond(tinyhttp.Empty(tinyhttp.StatusInternalServerError))
		return fmt.Errorf("starting %s: %w", h.Path, err)
	}
	out := bufio.NewReader(stdout)
	status, header, err := readCGIHeader(out)
	if err != nil {
		code := tinyhttp.StatusCode(502) // Bad Gateway: the program answered badly
		if ctx.Err() == context.DeadlineExceeded {
			code = 504 // Gateway Timeout: it did not answer in time
		}
		cancel()
		werr := cmd.Wait()
		req.Respond(tinyhttp.FromString(fmt.Sprintf("CGI program failed: %v\n", err)).WithStatusCode(code))
		return fmt.Errorf("reading the CGI header: %w (exit: %v, stderr: %q)", err, werr, stderr)
	}

	w, err := req.IntoWriter()
	if err != nil {
		cancel()
		cmd.Wait()
		return fmt.Errorf("IntoWriter: %w", err)
	}
	bw := bufio.NewWriter(w)
	writeHead(bw, status, header)
	var copyErr error
	if req.Method() != tinyhttp.MethodHead {
		_, copyErr = io.Copy(bw, out)
	} else {
		io.Copy(io.Discard, out)
	}
	flushErr := bw.Flush()
	closeErr := w.Close()
	waitErr := cmd.Wait()
	if err := errors.Join(copyErr, flushErr, closeErr); err != nil {
		return fmt.Errorf("sending the output: %w", err)
	}
	if waitErr != nil {
		// The head is out: the client gets what the program printed.
		return fmt.Errorf("%s: %w (stderr: %q)", h.Path, waitErr, stderr)
	}
	return nil
}

func (h *Handler) logf(format string, args ...any) {
	if h.ErrorLog != nil {
		h.ErrorLog.Printf(format, args...)
	}
}

// cgiEnv returns the CGI meta-variables of req (RFC 3875 §4.1).
func cgiEnv(req *tinyhttp.Request, bodyLen int) []string {
	path, query, _ := strings.Cut(req.URL(), "?")
	host, _ := req.Header("Host")
	serverName, serverPort, err := net.SplitHostPort(host)
	if err != nil {
		serverName, serverPort = host, "80"
		if req.Secure() {
			serverPort = "443"
		}
	}
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"GATEWAY_INTERFACE=CGI/1.1",
		"SERVER_SOFTWARE=" + serverSoftware,
		"SERVER_PROTOCOL=HTTP/" + req.HTTPVersion().String(),
		"SERVER_NAME=" + serverName,
		"SERVER_PORT=" + serverPort,
		"REQUEST_METHOD=" + string(req.Method()),
		"REQUEST_URI=" + req.URL(),
		"SCRIPT_NAME=",
		"PATH_INFO=" + path,
		"QUERY_STRING=" + query,
	}
	if addr, ok := req.RemoteAddr().(*net.TCPAddr); ok {
		env = append(env, "REMOTE_ADDR="+addr.IP.String(), "REMOTE_PORT="+strconv.Itoa(addr.Port))
	}
	if req.Secure() {
		env = append(env, "HTTPS=on")
	}
	if bodyLen > 0 {
		env = append(env, "CONTENT_LENGTH="+strconv.Itoa(bodyLen))
	}
	seen := map[string]bool{}
	for _, f := range req.Headers() {
		name := strings.ToUpper(strings.ReplaceAll(string(f.Field), "-", "_"))
		switch name {
		case "CONTENT_TYPE":
			if !seen[name] {
				env = append(env, "CONTENT_TYPE="+f.Value)
			}
		case "CONTENT_LENGTH", "PROXY": // ours; and no HTTP_PROXY (httpoxy)
		default:
			if !seen[name] {
				env = append(env, "HTTP_"+name+"="+headerValues(req, string(f.Field)))
			}
		}
		seen[name] = true
	}
	return env
}

// headerValues joins every value of a field with ", " (RFC 9110 §5.3).
func headerValues(req *tinyhttp.Request, name string) string {
	var vs []string
	for _, f := range req.Headers() {
		if f.Field.Equal(name) {
			vs = append(vs, f.Value)
		}
	}
	return strings.Join(vs, ", ")
}

// readCGIHeader reads the program's header section (RFC 3875 §6.2): lines
// ending in LF or CRLF up to an empty one. Status sets the status; Location
// without Status means 302.
func readCGIHeader(r *bufio.Reader) (tinyhttp.StatusCode, []tinyhttp.Header, error) {
	status := tinyhttp.StatusCode(200)
	var (
		header   []tinyhttp.Header
		read     int
		hasState bool
		location bool
	)
	for {
		line, err := r.ReadString('\n')
		read += len(line)
		if read > maxHeaderBytes {
			return 0, nil, fmt.Errorf("%w: above %d bytes", errBadHeader, maxHeaderBytes)
		}
		if err != nil {
			if err == io.EOF {
				return 0, nil, fmt.Errorf("%w: output ended before the empty line", errBadHeader)
			}
			return 0, nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		f, err := tinyhttp.ParseHeader(line)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: %q: %v", errBadHeader, line, err)
		}
		switch {
		case f.Field.Equal("Status"):
			code, _, _ := strings.Cut(strings.TrimSpace(f.Value), " ")
			n, err := strconv.Atoi(code)
			if err != nil || n < 200 || n > 599 {
				return 0, nil, fmt.Errorf("%w: Status %q", errBadHeader, f.Value)
			}
			status, hasState = tinyhttp.StatusCode(n), true
		case f.Field.Equal("Connection"), f.Field.Equal("Keep-Alive"),
			f.Field.Equal("Transfer-Encoding"), f.Field.Equal("Content-Length"):
			// The handler frames the response: the body ends with the connection.
		default:
			location = location || f.Field.Equal("Location")
			header = append(header, f)
		}
	}
	if location && !hasState {
		status = 302
	}
	return status, header, nil
}

// writeHead writes the status line and header section of the raw response.
func writeHead(w *bufio.Writer, status tinyhttp.StatusCode, header []tinyhttp.Header) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", status, status.DefaultReasonPhrase())
	fmt.Fprintf(w, "Date: %s\r\n", time.Now().UTC().Format(httpDate))
	fmt.Fprintf(w, "Server: %s\r\n", serverSoftware)
	for _, f := range header {
		fmt.Fprintf(w, "%s\r\n", f)
	}
	w.WriteString("Connection: close\r\n\r\n")
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

// Write keeps what fits and reports everything written, so that the
// program never blocks on its error output.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

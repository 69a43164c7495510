// Package fileserve serves a directory tree over HTTP with tinyhttp, like
// Python's "python3 -m http.server": files are sent with tinyhttp.FromFile
// (so ETag, Last-Modified, conditional and range requests work, and the
// bytes go out with sendfile), a directory is answered with its index.html
// or with an HTML listing, and a directory asked for without its trailing
// slash is redirected (301) to the URL with it.
//
// A Handler answers only GET and HEAD (405 with "Allow: GET, HEAD"
// otherwise). The query is ignored. Error answers (400, 403, 404, 405, 500)
// carry a small HTML body.
//
// # Path policy
//
// Nothing outside the served directory (the root) is ever read. The
// request path is percent-decoded once, and the decoded segments are the
// names in the file system, so names with spaces or non-ASCII characters
// work ("/caf%C3%A9%20menu.txt" is "café menu.txt"). The following are
// refused with 400 Bad Request, before the file system is touched:
//
//   - a ".." segment, after decoding ("/../x", "/%2e%2e/x", "/a/..");
//   - an encoded slash ("%2F"), which would make one segment two;
//   - a backslash, raw or encoded ("%5C"), a path separator elsewhere;
//   - a NUL byte ("%00"), and malformed percent-encoding;
//   - a request-target that is not a path (or an absolute URL with one).
//
// Empty and "." segments are ignored ("//a/./b" is "/a/b"); names starting
// with a dot are served like any other.
//
// Symbolic links are followed when they lead to a place inside the root,
// and refused (403 Forbidden) when they lead outside it: the path is
// resolved with filepath.EvalSymlinks and must stay under the root (itself
// resolved when the Handler is made). The resolved path is then opened
// through an os.Root, which refuses to leave the root even if a link is
// swapped in after the check. A directory listing leaves out links that are
// refused or dangling. Special files (devices, FIFOs, sockets) are refused
// with 403, and opening one never blocks.
package fileserve

import (
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// indexFile is the file a directory is answered with, when it has one.
const indexFile = "index.html"

// errBadPath is a request path the policy refuses (400).
var errBadPath = errors.New("fileserve: refused request path")

// Handler serves the files under one directory. Its Serve method answers
// one request and may be called from any number of goroutines at once.
type Handler struct {
	// Log, when not nil, is called after each request is answered, with
	// the status sent and Respond's error (nil when the response was
	// written). It must be safe for concurrent use.
	Log func(req *tinyhttp.Request, status tinyhttp.StatusCode, err error)

	dir  string   // the root: absolute, symbolic links resolved
	root *os.Root // the root, opened: every file is opened through it
}

// New returns a Handler serving the directory dir. Close it when done.
func New(dir string) (*Handler, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("fileserve: %w", err)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("fileserve: %w", err)
	}
	root, err := os.OpenRoot(resolved)
	if err != nil {
		return nil, fmt.Errorf("fileserve: %w", err)
	}
	return &Handler{dir: resolved, root: root}, nil
}

// Dir returns the directory served: absolute, with symbolic links resolved.
func (h *Handler) Dir() string { return h.dir }

// Close releases the root directory.
func (h *Handler) Close() error { return h.root.Close() }

// Serve answers req. It has the signature tinyhttp.Server.Serve expects.
func (h *Handler) Serve(req *tinyhttp.Request) {
	resp := h.response(req)
	err := req.Respond(resp)
	if h.Log != nil {
		// Respond applies the file conditions to resp in place, so its
		// status is now the one sent (206, 304...).
		h.Log(req, resp.StatusCode(), err)
	}
}

// response builds the answer to req.
func (h *Handler) response(req *tinyhttp.Request) *tinyhttp.Response {
	if m := req.Method(); m != tinyhttp.MethodGet && m != tinyhttp.MethodHead {
		return errorPage(405).WithHeader(tinyhttp.Header{Field: "Allow", Value: "GET, HEAD"})
	}
	rawPath, query, err := splitTarget(req.URL())
	if err != nil {
		return errorPage(tinyhttp.StatusBadRequest)
	}
	segs, trailingSlash, err := decodePath(rawPath)
	if err != nil {
		return errorPage(tinyhttp.StatusBadRequest)
	}
	rel := path.Join(segs...) // no ".." segment: stays under the root
	if rel == "" {
		rel = "."
	}
	f, fi, status := h.open(rel)
	if status != 0 {
		return errorPage(status)
	}
	switch {
	case fi.IsDir():
		if !trailingSlash {
			f.Close()
			loc := escapePath(segs) + "/"
			if query != "" {
				loc += "?" + query
			}
			return errorPage(301).WithHeader(tinyhttp.Header{Field: "Location", Value: loc})
		}
		if idx, ifi, st := h.open(path.Join(rel, indexFile)); st == 0 {
			if ifi.Mode().IsRegular() {
				f.Close()
				return tinyhttp.FromFile(idx)
			}
			idx.Close()
		}
		defer f.Close()
		return h.listing(f, rel, segs)
	case !fi.Mode().IsRegular():
		f.Close()
		return errorPage(403)
	case trailingSlash:
		f.Close() // a file is not a directory: "/file.txt/" does not exist
		return errorPage(tinyhttp.StatusNotFound)
	}
	return tinyhttp.FromFile(f)
}

// splitTarget returns the path of a request-target (origin-form, or
// absolute-form whose path is used) and its query, without the '?'.
func splitTarget(target string) (rawPath, query string, err error) {
	if !strings.HasPrefix(target, "/") {
		scheme, rest, ok := strings.Cut(target, "://")
		if !ok || !(strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")) {
			return "", "", errBadPath // "*", authority-form, or not a URL
		}
		i := strings.IndexAny(rest, "/?")
		switch {
		case i < 0:
			target = "/"
		case rest[i] == '?':
			target = "/" + rest[i:]
		default:
			target = rest[i:]
		}
	}
	target, _, _ = strings.Cut(target, "#") // never sent by clients, but harmless
	rawPath, query, _ = strings.Cut(target, "?")
	return rawPath, query, nil
}

// decodePath applies the path policy of the package documentation to a raw
// request path: it returns the decoded segments (none empty, "." or "..")
// and whether the path ended with a slash.
func decodePath(raw string) (segs []string, trailingSlash bool, err error) {
	if !strings.HasPrefix(raw, "/") {
		return nil, false, errBadPath
	}
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] == '%' && raw[i+1] == '2' && (raw[i+2] == 'f' || raw[i+2] == 'F') {
			return nil, false, errBadPath // an encoded slash
		}
	}
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, false, errBadPath
	}
	if strings.ContainsAny(p, "\\\x00") {
		return nil, false, errBadPath
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			return nil, false, errBadPath
		default:
			segs = append(segs, seg)
		}
	}
	return segs, strings.HasSuffix(p, "/"), nil
}

// escapePath returns the URL path of the decoded segments segs.
func escapePath(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// open opens rel (a slash-separated path under the root, without "..")
// under the symbolic link policy, and stats it. On failure it returns the
// status to answer with instead.
func (h *Handler) open(rel string) (*os.File, fs.FileInfo, tinyhttp.StatusCode) {
	resolved, err := filepath.EvalSymlinks(filepath.Join(h.dir, filepath.FromSlash(rel)))
	if err != nil {
		if st := errorStatus(err); st != tinyhttp.StatusInternalServerError {
			return nil, nil, st
		}
		return nil, nil, tinyhttp.StatusNotFound // cannot be resolved, e.g. a loop of links
	}
	inside, ok := h.relative(resolved)
	if !ok {
		return nil, nil, 403 // a symbolic link out of the root
	}
	// O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
	// as a special file); on regular files and directories it changes nothing.
	f, err := h.root.OpenFile(inside, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, errorStatus(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, errorStatus(err)
	}
	return f, fi, 0
}

// relative returns p, an absolute path without symbolic links, relative to
// the root, and whether p is the root or under it.
func (h *Handler) relative(p string) (string, bool) {
	if p == h.dir {
		return ".", true
	}
	prefix := h.dir
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator) // "/srv/a" must not admit "/srv/ab"
	}
	rest, ok := strings.CutPrefix(p, prefix)
	return rest, ok && rest != ""
}

// errorStatus maps an error of resolving or opening a path to a status.
func errorStatus(err error) tinyhttp.StatusCode {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR),
		errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.ELOOP):
		return tinyhttp.StatusNotFound
	case errors.Is(err, fs.ErrPermission):
		return 403
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return 403 // os.Root refused a path out of the root
	}
	return tinyhttp.StatusInternalServerError
}

// entry is one line of a directory listing.
type entry struct {
	name    string
	dir     bool
	size    int64
	modTime time.Time
}

// listing answers with the HTML listing of the directory d, which is rel
// under the root and whose request path has the segments segs.
func (h *Handler) listing(d *os.File, rel string, segs []string) *tinyhttp.Response {
	des, err := d.ReadDir(-1)
	if err != nil {
		return errorPage(errorStatus(err))
	}
	entries := make([]entry, 0, len(des))
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			continue // removed since ReadDir
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			// Listed as what it leads to, if that is allowed.
			f, lfi, st := h.open(path.Join(rel, de.Name()))
			if st != 0 {
				continue
			}
			f.Close()
			fi = lfi
		}
		entries = append(entries, entry{name: de.Name(), dir: fi.IsDir(), size: fi.Size(), modTime: fi.ModTime()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })

	title := html.EscapeString(strings.ToValidUTF8("Directory listing for "+path.Join("/", strings.Join(segs, "/"))+trailing(len(segs) > 0), "\uFFFD"))
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
	b.WriteString(title)
	b.WriteString("</title>\n</head>\n<body>\n<h1>")
	b.WriteString(title)
	b.WriteString("</h1>\n<hr>\n<table>\n")
	if len(segs) > 0 {
		b.WriteString("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n")
	}
	for _, e := range entries {
		href, label, size := url.PathEscape(e.name), e.name, strconv.FormatInt(e.size, 10)
		if e.dir {
			href, label, size = href+"/", label+"/", "-"
		}
		// "./" keeps a name like "javascript:x" or "a:b" from reading as a
		// URL scheme; PathEscape leaves ':' and '&' alone, EscapeString not.
		fmt.Fprintf(&b, "<tr><td><a href=\"./%s\">%s</a></td><td>%s</td><td>%s</td></tr>\n",
			html.EscapeString(href), html.EscapeString(strings.ToValidUTF8(label, "\uFFFD")),
			size, e.modTime.UTC().Format("2006-01-02 15:04"))
	}
	b.WriteString("</table>\n<hr>\n</body>\n</html>\n")
	return tinyhttp.FromString(b.String()).
		WithHeader(tinyhttp.Header{Field: "Content-Type", Value: "text/html; charset=utf-8"})
}

// trailing returns "/" when yes.
func trailing(yes bool) string {
	if yes {
		return "/"
	}
	return ""
}

// errorPage returns a response with the given status and a small HTML body
// naming it.
func errorPage(status tinyhttp.StatusCode) *tinyhttp.Response {
	msg := strconv.Itoa(int(status)) + " " + status.DefaultReasonPhrase()
	body := "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + msg +
		"</title>\n</head>\n<body>\n<h1>" + msg + "</h1>\n</body>\n</html>\n"
	return tinyhttp.FromString(body).WithStatusCode(status).
		WithHeader(tinyhttp.Header{Field: "Content-Type", Value: "text/html; charset=utf-8"})
}

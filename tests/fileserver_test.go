package tests

// The fileserver example's handler (package fileserve) over real sockets:
// its path policy, listings, redirects and methods, and real clients
// (curl, wget, headless Chromium) downloading, resuming and seeking.

import (
	"bytes"
	"crypto/sha256"
	"html"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// TestFileServerPathPolicy checks that nothing outside the root is served:
// ".." (raw or encoded), encoded slashes, backslashes, NUL and bad escapes
// are refused with 400, symbolic links out of the root with 403, and links
// inside the root are followed.
func TestFileServerPathPolicy(t *testing.T) {
	const secret = "TOP SECRET"
	outside := writeTree(t, map[string]string{"secret.txt": secret})
	root := writeTree(t, map[string]string{"a.txt": "file a", "sub/b.txt": "file b", "secret.txt/x": "not it"})
	// sub/rel climbs out of the root relatively, from the root's real location.
	relOut, err := filepath.Rel(filepath.Join(root, "sub"), filepath.Join(outside, "secret.txt"))
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"out":       filepath.Join(outside, "secret.txt"), // absolute, outside
		"outdir":    outside,                              // a directory outside
		"sub/rel":   relOut,                               // relative, outside
		"in":        "sub/b.txt",                          // relative, inside
		"inabs":     filepath.Join(root, "sub", "b.txt"),  // absolute, inside
		"sub/up":    "../a.txt",                           // relative, inside, through ..
		"insidedir": "sub",                                // a directory inside
		"loop":      "loop",
		"dangling":  "nowhere",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}

	fifo := true
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Logf("no FIFO: %v", err)
		fifo = false
	}

	s, _ := startFileServer(t, root)
	if fifo {
		// Refused as a special file, without waiting for a writer.
		if r := exchange(t, s, "GET", "/fifo"); r.Status != 403 {
			t.Errorf("/fifo: %d, want 403", r.Status)
		}
	}
	tests := []struct {
		target string
		status int
		body   string // for a 200
	}{
		{"/../secret.txt", 400, ""},
		{"/sub/../../secret.txt", 400, ""},
		{"/sub/../a.txt", 400, ""},
		{"/%2e%2e/secret.txt", 400, ""},
		{"/%2E%2E/%2e%2e/secret.txt", 400, ""},
		{"/sub/%2e%2e/a.txt", 400, ""},
		{"/..", 400, ""},
		{"/a%2Fb", 400, ""},
		{"/sub%2fb.txt", 400, ""},
		{"/sub/..%2f..%2fsecret.txt", 400, ""},
		{`/a\b`, 400, ""},
		{`/sub\b.txt`, 400, ""},
		{"/sub%5Cb.txt", 400, ""},
		{"/a.txt%00", 400, ""},
		{"/a.txt%00.png", 400, ""},
		{"/%zz", 400, ""},
		{"/%", 400, ""},
		{"/out", 403, ""},
		{"/outdir/", 403, ""},
		{"/outdir/secret.txt", 403, ""},
		{"/sub/rel", 403, ""},
		{"/in", 200, "file b"},
		{"/inabs", 200, "file b"},
		{"/sub/up", 200, "file a"},
		{"/insidedir/b.txt", 200, "file b"},
		{"/loop", 404, ""},
		{"/dangling", 404, ""},
		{"/missing.txt", 404, ""},
		{"/a.txt", 200, "file a"},
		{"/./sub//b.txt", 200, "file b"},
		{"/a.txt?x=../../secret.txt", 200, "file a"},
		{"http://test/sub/b.txt", 200, "file b"},
		{"http://test/../secret.txt", 400, ""},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.target, "/", "|"), func(t *testing.T) {
			r := exchange(t, s, "GET", tt.target)
			if r.Status != tt.status {
				t.Fatalf("%s: %d, want %d\n%s", tt.target, r.Status, tt.status, r)
			}
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Fatalf("%s: the secret outside the root was served", tt.target)
			}
			if tt.status == 200 && string(r.Body) != tt.body {
				t.Errorf("%s: body %q, want %q", tt.target, r.Body, tt.body)
			}
			if tt.status != 200 {
				if ct, _ := r.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !bytes.Contains(r.Body, []byte("<h1>")) {
					t.Errorf("%s: error page %q %q, want a small HTML page", tt.target, ct, r.Body)
				}
			}
		})
	}

	// The listing leaves out links that are refused or lead nowhere.
	r := exchange(t, s, "GET", "/")
	for _, hidden := range []string{"out", "outdir", "loop", "dangling"} {
		if bytes.Contains(r.Body, []byte(`href="./`+hidden+`"`)) || bytes.Contains(r.Body, []byte(`href="./`+hidden+`/"`)) {
			t.Errorf("the listing shows the refused link %q", hidden)
		}
	}
	for _, shown := range []string{`href="./in"`, `href="./insidedir/"`} {
		if !bytes.Contains(r.Body, []byte(shown)) {
			t.Errorf("the listing lacks %s\n%s", shown, r.Body)
		}
	}
}

// rowRE finds the entries of a listing: link, label and size.
var rowRE = regexp.MustCompile(`<tr><td><a href="([^"]*)">([^<]*)</a></td><td>([^<]*)</td>`)

// TestFileServerListing checks a directory listing: names escaped for HTML
// and for URLs (each link, followed, serves its file), sorted, sizes,
// directories with a trailing slash, a parent link below the root.
func TestFileServerListing(t *testing.T) {
	names := []string{
		"<script>alert(1)<\u2215script>.txt", // a division slash: '/' cannot be in a name
		"<img src=x onerror=alert(1)>.txt",
		"a&b.txt",
		`quote".txt`,
		"space name.txt",
		"café.txt",
		"日本語.txt",
		"javascript:alert(1)",
		"50%.txt",
		"#hash.txt",
		"?q.txt",
		"plus+sign.txt",
		"'single'.txt",
	}
	files := map[string]string{"sub/inner.txt": "inner"}
	for i, n := range names {
		files[n] = strings.Repeat("x", i+1)
	}
	root := writeTree(t, files)
	s, _ := startFileServer(t, root)

	r := exchange(t, s, "GET", "/")
	if ct, _ := r.Get("Content-Type"); r.Status != 200 || ct != "text/html; charset=utf-8" {
		t.Fatalf("listing: %d %q\n%s", r.Status, ct, r)
	}
	body := string(r.Body)
	if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;\u2215script&gt;.txt") {
		t.Errorf("the <script> name is not escaped:\n%s", body)
	}
	if strings.Contains(body, `href="../"`) {
		t.Errorf("a parent link at the root")
	}
	base, _ := url.Parse("http://test/")
	var labels []string
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		href, label, size := html.UnescapeString(m[1]), html.UnescapeString(m[2]), m[3]
		if href == "../" {
			continue
		}
		labels = append(labels, label)
		u, err := base.Parse(href)
		if err != nil || u.Host != "test" || u.Scheme != "http" {
			t.Errorf("link %q resolves to %v (%v), not to this server", href, u, err)
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/")
		if label != name && label != name+"/" {
			t.Errorf("link %q (path %q) labelled %q", href, u.Path, label)
		}
		want, isFile := files[name]
		if !isFile {
			if name != "sub" || !strings.HasSuffix(label, "/") {
				t.Errorf("link %q to %q: not a test file", href, name)
			}
			continue
		}
		// Follow the link as a browser would: the escaped path.
		got := exchange(t, s, "GET", u.EscapedPath())
		if got.Status != 200 || string(got.Body) != want {
			t.Errorf("following %q (%s): %d %q, want 200 %q", href, u.EscapedPath(), got.Status, got.Body, want)
		}
		if size != strconv.Itoa(len(want)) {
			t.Errorf("%q listed with size %q, want %d", name, size, len(want))
		}
	}
	want := append(slices.Clone(names), "sub/")
	slices.Sort(want)
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("listing order (-want +got):\n%s", diff)
	}

	r = exchange(t, s, "GET", "/sub/")
	if r.Status != 200 || !strings.Contains(string(r.Body), `<a href="../">../</a>`) || !strings.Contains(string(r.Body), `href="./inner.txt"`) {
		t.Errorf("/sub/ listing without parent link or entry:\n%s", r)
	}
}

// TestFileServerDirectories checks redirects to the slashed URL, index.html,
// and that a file is not a directory.
func TestFileServerDirectories(t *testing.T) {
	root := writeTree(t, map[string]string{
		"docs/index.html":       "<p>index</p>",
		"plain/x.txt":           "x",
		"evil.com/x.txt":        "x",
		"a.txt":                 "a",
		"dir with space/ü.txt":  "u",
		"index-dir/index.html/": "",
	})
	s, _ := startFileServer(t, root)
	redirects := map[string]string{
		"/docs":                 "/docs/",
		"/plain?x=1&y=2":        "/plain/?x=1&y=2",
		"//evil.com":            "/evil.com/", // never "//evil.com/", a URL on another host
		"/./plain":              "/plain/",
		"/dir%20with%20space":   "/dir%20with%20space/",
		"/dir with space":       "", // not a valid request line: 400 from the server
		"http://test/docs?a=b":  "/docs/?a=b",
		"/plain/../plain":       "", // refused (..)
		"/a.txt":                "", // a file
		"/%64ocs":               "/docs/",
		"/docs/index.html/../x": "",
	}
	for target, loc := range redirects {
		r := exchange(t, s, "GET", target)
		got, _ := r.Get("Location")
		switch {
		case loc == "" && r.Status == 301:
			t.Errorf("%s: redirected to %q", target, got)
		case loc != "" && (r.Status != 301 || got != loc):
			t.Errorf("%s: %d to %q, want 301 to %q", target, r.Status, got, loc)
		}
	}
	if r := exchange(t, s, "GET", "/docs/"); r.Status != 200 || string(r.Body) != "<p>index</p>" || must(r.Get("Content-Type")) != "text/html; charset=utf-8" {
		t.Errorf("/docs/: %d %q, want index.html\n%s", r.Status, r.Body, r)
	}
	if r := exchange(t, s, "GET", "/a.txt/"); r.Status != 404 {
		t.Errorf("/a.txt/: %d, want 404", r.Status)
	}
	if r := exchange(t, s, "GET", "/dir%20with%20space/%C3%BC.txt"); r.Status != 200 || string(r.Body) != "u" {
		t.Errorf("UTF-8 name in a directory with a space: %d %q", r.Status, r.Body)
	}
}

// TestFileServerMethods: GET and HEAD only.
func TestFileServerMethods(t *testing.T) {
	root := writeTree(t, map[string]string{"a.txt": tenBytes})
	s, _ := startFileServer(t, root)
	for _, m := range []string{"POST", "PUT", "DELETE", "OPTIONS", "PATCH"} {
		r := exchange(t, s, m, "/a.txt")
		if allow, _ := r.Get("Allow"); r.Status != 405 || allow != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q; want 405 with Allow: GET, HEAD", m, r.Status, allow)
		}
	}
	get := exchange(t, s, "GET", "/a.txt")
	head := exchange(t, s, "HEAD", "/a.txt")
	if head.Status != 200 || len(head.Body) != 0 || must(head.Get("Content-Length")) != must(get.Get("Content-Length")) ||
		must(head.Get("ETag")) != must(get.Get("ETag")) {
		t.Errorf("HEAD:\n%s\nGET:\n%s", head, get)
	}
	if r := exchange(t, s, "HEAD", "/"); r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("HEAD of a listing: %d", r.Status)
	}
}

// bigFile is a file of n pseudo-random bytes for the client tests.
func bigFile(n int) string {
	rnd := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.UintN(256))
	}
	return string(b)
}

// bigSize is the size of the file real clients download: big enough for
// several reads and a sendfile of its own.
const bigSize = 3<<20 + 12345

// hasRange reports whether the log gets, within wiretest.Timeout, an answer with
// the given status to a request for target whose Range field satisfies ok.
func hasRange(log *fileLog, target string, status int, ok func(string) bool) bool {
	return log.waitFor(func(rs []fileRecord) bool {
		for _, r := range rs {
			if r.target == target && r.rangeField != "" && ok(r.rangeField) && int(r.status) == status {
				return true
			}
		}
		return false
	})
}

// TestFileServerCurlRange: curl -r 0-4.
func TestFileServerCurlRange(t *testing.T) {
	curl := needTool(t, "curl")
	content := bigFile(bigSize)
	root := writeTree(t, map[string]string{"big file.bin": content})
	s, log := startFileServer(t, root)
	out := runTool(t, t.TempDir(), curl, "-sS", "-f", "-r", "0-4", "http://"+s.Addr().String()+"/big%20file.bin")
	if out != content[:5] {
		t.Errorf("curl -r 0-4: %q, want %q", out, content[:5])
	}
	if !hasRange(log, "/big%20file.bin", 206, func(v string) bool { return v == "bytes=0-4" }) {
		t.Errorf("no 206 answer to Range: bytes=0-4 in %+v", log.all())
	}
}

// TestFileServerCurlResume: curl -C - completes a partial download.
func TestFileServerCurlResume(t *testing.T) {
	curl := needTool(t, "curl")
	content := bigFile(bigSize)
	root := writeTree(t, map[string]string{"big.bin": content})
	s, log := startFileServer(t, root)
	dir := t.TempDir()
	const have = 1_000_003
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), []byte(content[:have]), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, curl, "-sS", "-f", "-C", "-", "-o", "big.bin", "http://"+s.Addr().String()+"/big.bin")
	checkSameFile(t, filepath.Join(dir, "big.bin"), content)
	if !hasRange(log, "/big.bin", 206, func(v string) bool { return v == "bytes=1000003-" }) {
		t.Errorf("no 206 answer to Range: bytes=1000003- in %+v", log.all())
	}
	if errs := log.errors(); len(errs) > 0 {
		t.Errorf("Respond errors: %v", errs)
	}
}

// TestFileServerWgetResume: wget -c completes a partial download.
func TestFileServerWgetResume(t *testing.T) {
	wget := needTool(t, "wget")
	content := bigFile(bigSize)
	root := writeTree(t, map[string]string{"big.bin": content})
	s, log := startFileServer(t, root)
	dir := t.TempDir()
	const have = 777_777
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), []byte(content[:have]), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, wget, "-q", "-c", "--no-proxy", "--tries=1", "http://"+s.Addr().String()+"/big.bin")
	checkSameFile(t, filepath.Join(dir, "big.bin"), content)
	if !hasRange(log, "/big.bin", 206, func(v string) bool { return v == "bytes=777777-" }) {
		t.Errorf("no 206 answer to Range: bytes=777777- in %+v", log.all())
	}
	if errs := log.errors(); len(errs) > 0 {
		t.Errorf("Respond errors: %v", errs)
	}
}

// checkSameFile compares the SHA-256 of the file at p with that of want.
func checkSameFile(t *testing.T, p, want string) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256([]byte(want)) {
		t.Errorf("%s: %d bytes with another SHA-256 than the %d bytes served", p, len(got), len(want))
	}
}

// seekPage loads audio.wav in an <audio> element, seeks to seekTo seconds
// once the metadata is known, and writes the outcome into #out.
const seekPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>seek</title></head><body>
<div id="out">pending</div>
<audio id="a" src="audio.wav" preload="auto"></audio>
<script>
const a = document.getElementById('a'), out = document.getElementById('out');
a.addEventListener('loadedmetadata', () => { out.textContent = 'metadata'; a.currentTime = 4.5; });
a.addEventListener('seeked', () => {
  out.textContent = 'seeked:' + a.currentTime.toFixed(2) + ' duration:' + a.duration.toFixed(2);
});
a.addEventListener('error', () => { out.textContent = 'error:' + (a.error && a.error.code); });
</script>
</body></html>
`

// outRE extracts the outcome the page wrote.
var outRE = regexp.MustCompile(`<div id="out">([^<]*)</div>`)

// TestFileServerChromiumSeek loads a page with an <audio> element in
// headless Chromium; the page seeks to 4.5 s in a 6-second WAV served by
// the file server. The browser must report the seek done, and the server
// must have answered a Range request with 206.
func TestFileServerChromiumSeek(t *testing.T) {
	var browser string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("no chromium installed (install it with: bash scripts/install-deps.sh --browser)")
	}
	root := writeTree(t, map[string]string{"audio.wav": string(makeWAV(wavSeconds)), "page.html": seekPage})
	s, log := startFileServer(t, root)
	profile := t.TempDir()
	out := runTool(t, profile, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--autoplay-policy=no-user-gesture-required", "--dump-dom",
		"--virtual-time-budget=8000", "http://"+s.Addr().String()+"/page.html")
	m := outRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no #out in the DOM dumped by %s:\n%s", browser, wiretest.Truncate(out))
	}
	if want := "seeked:4.50 duration:6.00"; m[1] != want {
		t.Errorf("the page says %q, want %q; requests: %+v", m[1], want, log.all())
	}
	if !hasRange(log, "/audio.wav", 206, func(string) bool { return true }) {
		t.Errorf("the browser's requests got no 206: %+v", log.all())
	}
	if errs := log.errors(); len(errs) > 0 {
		t.Logf("Respond errors (the browser may drop connections it no longer needs): %v", errs)
	}
}

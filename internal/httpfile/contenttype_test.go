package httpfile

import (
	"mime"
	"net/http"
	"strings"
	"testing"
)

func TestContentType(t *testing.T) {
	html := func() []byte { return []byte("<!DOCTYPE html><p>hi") }
	for _, tc := range []struct {
		name  string
		sniff func() []byte
		want  string
	}{
		{"index.html", nil, "text/html; charset=utf-8"},
		{"INDEX.HTM", nil, "text/html; charset=utf-8"},
		{"style.css", nil, "text/css; charset=utf-8"},
		{"app.js", nil, "text/javascript; charset=utf-8"},
		{"mod.mjs", nil, "text/javascript; charset=utf-8"},
		{"data.json", nil, "application/json"},
		{"notes.txt", nil, "text/plain; charset=utf-8"},
		{"a.png", nil, "image/png"},
		{"a.JPG", nil, "image/jpeg"},
		{"a.jpeg", nil, "image/jpeg"},
		{"a.gif", nil, "image/gif"},
		{"a.svg", nil, "image/svg+xml"},
		{"a.webp", nil, "image/webp"},
		{"a.ico", nil, "image/vnd.microsoft.icon"},
		{"a.wasm", nil, "application/wasm"},
		{"a.mp4", nil, "video/mp4"},
		{"a.webm", nil, "video/webm"},
		{"a.mp3", nil, "audio/mpeg"},
		{"a.wav", nil, "audio/wav"},
		{"a.ogg", nil, "audio/ogg"},
		{"a.pdf", nil, "application/pdf"},
		{"a.zip", nil, "application/zip"},
		{"a.tar.gz", nil, "application/gzip"},
		{"a.woff2", nil, "font/woff2"},
		{"/srv/www/site.v2/page.html", nil, "text/html; charset=utf-8"},
		// The built-in table wins over the machine's mime.types.
		{"a.Wav", html, "audio/wav"},
		// No extension, or an extension in a directory name: sniff.
		{"README", html, "text/html; charset=utf-8"},
		{"dir.html/README", html, "text/html; charset=utf-8"},
		{"dir.html/README", nil, "application/octet-stream"},
		{"", func() []byte { return []byte("plain words") }, "text/plain; charset=utf-8"},
		{"trailing.", func() []byte { return []byte{0, 1, 2} }, "application/octet-stream"},
		{"unknown.zz9q", func() []byte { return []byte("%PDF-1.7") }, "application/pdf"},
		{"unknown.zz9q", func() []byte { return nil }, "text/plain; charset=utf-8"}, // an empty file is text
		{"unknown.zz9q", nil, "application/octet-stream"},
	} {
		if got := ContentType(tc.name, tc.sniff); got != tc.want {
			t.Errorf("ContentType(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// An extension outside the table goes to mime.TypeByExtension (whatever the machine says).
	if err := mime.AddExtensionType(".zz9tinyhttp", "application/x-test"); err != nil {
		t.Fatal(err)
	}
	if got := ContentType("f.ZZ9TINYHTTP", nil); got != "application/x-test" {
		t.Errorf("mime fallback: got %q", got)
	}
	// sniff is called only when needed.
	called := false
	ContentType("x.png", func() []byte { called = true; return nil })
	if called {
		t.Error("sniff called for a known extension")
	}
}

// TestBuiltinTypesAgreeWithMime checks the built-in table against Go's own built-in mime table
// (mime/type.go of Go 1.26, which the machine's mime.types may override) where both have the
// extension, so that the table does not contradict the standard library without a reason.
func TestBuiltinTypesAgreeWithMime(t *testing.T) {
	goBuiltin := map[string]string{
		".avif": "image/avif", ".css": "text/css; charset=utf-8", ".csv": "text/csv; charset=utf-8",
		".gif": "image/gif", ".gz": "application/gzip", ".htm": "text/html; charset=utf-8",
		".html": "text/html; charset=utf-8", ".ico": "image/vnd.microsoft.icon", ".jpeg": "image/jpeg",
		".jpg": "image/jpeg", ".js": "text/javascript; charset=utf-8", ".json": "application/json",
		".mjs": "text/javascript; charset=utf-8", ".mp3": "audio/mpeg", ".mp4": "video/mp4",
		".ogg": "audio/ogg", ".pdf": "application/pdf", ".png": "image/png", ".svg": "image/svg+xml",
		".txt": "text/plain; charset=utf-8", ".wasm": "application/wasm", ".wav": "audio/wav",
		".webp": "image/webp", ".xml": "text/xml; charset=utf-8", ".zip": "application/zip",
		".webm": "audio/webm",
	}
	deliberate := map[string]string{
		".webm": "video/webm", // most .webm files are video, and <audio> plays video/webm too
	}
	for ext, want := range goBuiltin {
		if d, ok := deliberate[ext]; ok {
			want = d
		}
		if got := builtinType(ext); got != want {
			t.Errorf("builtinType(%q) = %q, want %q", ext, got, want)
		}
	}
}

// sniffCorpus holds inputs for DetectContentType, one or more for every signature.
var sniffCorpus = []string{
	"", " ", "\n\t\r ", "Hello, world", "\x00", "\x01\x02", "\x1b[0m", "a\x0bb", "a\x0cb", "\x7f", "ünïcödé",
	"<!DOCTYPE HTML>", "<!doctype html>", " \n<!DOCTYPE html ", "<!DOCTYPE HTMLx", "<!DOCTYPE HTML",
	"<HTML>", "<html ", "<head>", "<script>", "<iframe>", "<h1>", "<div>", "<font>", "<table>",
	"<a>", "<A ", "<ab>", "<style>", "<title>", "<b>", "<body>", "<br>", "<p>", "<P ", "<p", "<!-- c -->",
	"<!--", "<?xml version", "  <?xml", "<?XML", "%PDF-1.4", "%PDF", "%!PS-Adobe-3.0", "%!PS",
	"\xfe\xff\x00\x48", "\xff\xfe\x48\x00", "\xef\xbb\xbfhi", "\xef\xbb",
	"\x00\x00\x01\x00", "\x00\x00\x02\x00", "BM\x00", "GIF87a", "GIF89a..", "GIF88a",
	"RIFF\x01\x02\x03\x04WEBPVP8 ", "RIFF\x01\x02\x03\x04WEBPVX", "\x89PNG\r\n\x1a\n\x00", "\x89PNG\r\n",
	"\xff\xd8\xff\xe0", "\xff\xd8",
	"FORM\x00\x00\x00\x00AIFF", "FORM\x00\x00\x00\x00AIFC", "ID3\x04", "OggS\x00\x02", "OggS\x01",
	"MThd\x00\x00\x00\x06\x00", "MThd\x00\x00\x00\x07", "RIFF\x00\x00\x00\x00AVI LIST", "RIFF\x00\x00\x00\x00WAVEfmt ",
	"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp41isom", "\x00\x00\x00\x14ftypisom\x00\x00\x00\x00mp41",
	"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00", "\x00\x00\x00\x0cftypmp41", "\x00\x00\x00\x11ftypmp42\x00\x00\x00\x00mp41",
	"\x00\x00\x00\x1cftypisom\x00\x00\x00\x00", "\x00\x00\x01\x00ftypmp41",
	"\x1a\x45\xdf\xa3\x01", strings.Repeat("\x00", 34) + "LP", strings.Repeat("\x01", 34) + "LP!",
	strings.Repeat("\x00", 33) + "LP",
	"\x00\x01\x00\x00\x00", "OTTO", "ttcf", "wOFF", "wOF2", "wOF3",
	"\x1f\x8b\x08\x00", "\x1f\x8b\x07", "PK\x03\x04", "PK\x05\x06", "Rar!\x1a\x07\x00", "Rar!\x1a\x07\x01\x00",
	"Rar!\x1a\x07\x02", "\x00asm\x01\x00\x00\x00", "\x00ASM",
	strings.Repeat("a", 600), strings.Repeat("a", 511) + "\x00", strings.Repeat("a", 512) + "\x00",
	strings.Repeat(" ", 600) + "<html>",
}

// TestDetectContentTypeVsNetHTTP checks that DetectContentType answers as net/http's does.
func TestDetectContentTypeVsNetHTTP(t *testing.T) {
	for _, s := range sniffCorpus {
		for _, data := range [][]byte{[]byte(s), append([]byte(s), " trailing\x00"...), append([]byte(s), ' ')} {
			if got, want := DetectContentType(data), http.DetectContentType(data); got != want {
				t.Errorf("DetectContentType(%q) = %q, net/http says %q", data, got, want)
			}
		}
	}
}

// FuzzDetectContentType checks DetectContentType against net/http's on arbitrary data.
func FuzzDetectContentType(f *testing.F) {
	for _, s := range sniffCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := DetectContentType(data), http.DetectContentType(data); got != want {
			t.Fatalf("DetectContentType(%q) = %q, net/http says %q", data, got, want)
		}
	})
}

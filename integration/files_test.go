package integration

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFileServer: http.FileServer and http.ServeContent on tinyhttp: whole
// files with Content-Length, a range, several ranges, conditional requests,
// HEAD, and an 8 MiB file intact (the sendfile path, via io.ReaderFrom).
func TestFileServer(t *testing.T) {
	dir := t.TempDir()
	small := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	big := make([]byte, 8<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for name, data := range map[string][]byte{"small.txt": small, "big.bin": big} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mod, mod)
	}
	mux := http.NewServeMux()
	mux.Handle("/files/", http.StripPrefix("/files/", http.FileServer(http.Dir(dir))))
	mux.HandleFunc("/content", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "c.txt", mod, bytes.NewReader(small))
	})
	base := serve(t, mux)

	res, body := get(t, base+"/files/small.txt")
	expect(t, "whole file", res, body, 200, string(small))
	if res.ContentLength != int64(len(small)) || res.Header.Get("Last-Modified") == "" {
		t.Errorf("whole file: Content-Length %d, Last-Modified %q", res.ContentLength, res.Header.Get("Last-Modified"))
	}
	res, body = get(t, base+"/files/small.txt", "Range", "bytes=10-15")
	expect(t, "range", res, body, 206, "abcdef")
	if cr := res.Header.Get("Content-Range"); cr != "bytes 10-15/36" {
		t.Errorf("Content-Range %q", cr)
	}
	res, body = get(t, base+"/content", "Range", "bytes=0-1,30-")
	mt, params, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if res.StatusCode != 206 || mt != "multipart/byteranges" {
		t.Fatalf("multi-range: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var parts []string
	mr := multipart.NewReader(strings.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, string(b))
	}
	if strings.Join(parts, "|") != "01|uvwxyz" {
		t.Errorf("multi-range parts %q", parts)
	}
	res, body = get(t, base+"/content", "If-None-Match", `"v1"`)
	expect(t, "If-None-Match", res, body, 304, "")
	res, body = get(t, base+"/files/small.txt", "If-Modified-Since", mod.Format(http.TimeFormat))
	expect(t, "If-Modified-Since", res, body, 304, "")
	req, _ := http.NewRequest("HEAD", base+"/files/big.bin", nil)
	res, body = fetch(t, req)
	if res.StatusCode != 200 || body != "" || res.ContentLength != int64(len(big)) {
		t.Errorf("HEAD: %d, %d body bytes, Content-Length %d", res.StatusCode, len(body), res.ContentLength)
	}
	res, body = get(t, base+"/files/big.bin")
	if res.StatusCode != 200 || sha256.Sum256([]byte(body)) != sha256.Sum256(big) {
		t.Errorf("8 MiB download: %d, %d bytes, checksum differs", res.StatusCode, len(body))
	}
}

package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c0c8f223/tinyhttp/examples/https/selfsigned"

	"github.com/c0c8f223/tinyhttp/internal/exampletest"
)

// startRun runs the example with args and returns what it prints, the URL
// and a function that stops it and returns run's error.
func startRun(t *testing.T, args ...string) (out *exampletest.Lines, url string, stop func() error) {
	t.Helper()
	out, url, stop = exampletest.Start(t, run, args...)
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("printed URL %q", url)
	}
	return out, url, stop
}

// get fetches url with a client that accepts only a certificate whose
// SHA-256 is fp (any, if fp is "").
func get(t *testing.T, url, fp string) string {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // the example's certificate is self-signed: checked by fingerprint
		VerifyConnection: func(cs tls.ConnectionState) error {
			if got := fmt.Sprintf("%X", sha256.Sum256(cs.PeerCertificates[0].Raw)); fp != "" && got != fp {
				return fmt.Errorf("certificate %s, want %s", got, fp)
			}
			return nil
		},
	}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestHTTPSExample_Generated runs the example without a certificate: it generates
// one, prints its fingerprint and the curl hint, and serves with it.
func TestHTTPSExample_Generated(t *testing.T) {
	out, url, stop := startRun(t, "-addr", "127.0.0.1:0")
	fpLine := out.Next(t)
	_, fp, _ := strings.Cut(fpLine, "SHA-256 ")
	fp, _, _ = strings.Cut(fp, ")")
	if hint := out.Next(t); !strings.Contains(hint, "curl -k "+url) {
		t.Errorf("no curl -k hint: %q", hint)
	}
	if body := get(t, url+"x", fp); !strings.Contains(body, "secure: true") || !strings.Contains(body, "GET /x") {
		t.Errorf("body %q", body)
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestHTTPSExample_Files runs the example with -cert and -key files.
func TestHTTPSExample_Files(t *testing.T) {
	cert, key, err := selfsigned.Generate([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, cert, 0o600)
	os.WriteFile(keyFile, key, 0o600)
	_, url, stop := startRun(t, "-addr", "127.0.0.1:0", "-cert", certFile, "-key", keyFile)
	if body := get(t, url, ""); !strings.Contains(body, "hello over TLS") {
		t.Errorf("body %q", body)
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestHTTPSExample_BadFlags checks the errors of -cert without -key and of a missing file.
func TestHTTPSExample_BadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "127.0.0.1:0", "-cert", "x.pem"},
		{"-addr", "127.0.0.1:0", "-cert", "/nonexistent/c.pem", "-key", "/nonexistent/k.pem"},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run %q succeeded", args)
		}
	}
}

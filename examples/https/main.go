// Command https is an HTTPS server. With -cert and -key it serves those PEM
// files (the key in PKCS#8, PKCS#1 or SEC1); without them it generates a
// self-signed certificate for 127.0.0.1 and localhost at start, which
// clients must be told to accept (curl -k).
//
//	go run ./examples/https
//	go run ./examples/https -addr 127.0.0.1:8443 -cert cert.pem -key key.pem
//	curl -k https://127.0.0.1:8443/
package main

import (
	"context"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/examples/https/selfsigned"
)

// workers is how many goroutines answer requests.
const workers = 4

// certLifetime is how long a generated certificate is valid: long enough
// for a development session.
const certLifetime = 7 * 24 * time.Hour

// shutdownTimeout bounds the graceful stop on Ctrl-C.
const shutdownTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run serves until ctx ends, printing the URL to out once listening.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("https", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8443", "address to listen on (host:port)")
	certFile := fs.String("cert", "", "PEM certificate chain, leaf first (default: a generated self-signed one)")
	keyFile := fs.String("key", "", "PEM private key of -cert")
	if err := fs.Parse(args); err != nil {
		return err
	}

	ssl, generated, err := loadOrGenerate(*certFile, *keyFile)
	if err != nil {
		return err
	}
	s, err := tinyhttp.HTTPS(*addr, ssl)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listening on https://%s/\n", s.Addr())
	if generated {
		fmt.Fprintf(out, "using a self-signed certificate generated now (SHA-256 %s);\n", fingerprint(ssl.Certificate))
		fmt.Fprintf(out, "clients must accept it, e.g. curl -k https://%s/\n", s.Addr())
	}

	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		s.Shutdown(sctx)
	}()
	return s.Serve(workers, handle)
}

// loadOrGenerate reads the certificate and key files, or, when neither is
// given, generates a self-signed certificate.
func loadOrGenerate(certFile, keyFile string) (ssl tinyhttp.SSLConfig, generated bool, err error) {
	switch {
	case certFile == "" && keyFile == "":
		cert, key, err := selfsigned.Generate(selfsigned.DefaultHosts, certLifetime)
		return tinyhttp.SSLConfig{Certificate: cert, PrivateKey: key}, true, err
	case certFile == "" || keyFile == "":
		return ssl, false, errors.New("-cert and -key go together")
	}
	if ssl.Certificate, err = os.ReadFile(certFile); err != nil {
		return ssl, false, err
	}
	if ssl.PrivateKey, err = os.ReadFile(keyFile); err != nil {
		return ssl, false, err
	}
	return ssl, false, nil
}

// fingerprint returns the SHA-256 of the first certificate in certPEM.
func fingerprint(certPEM []byte) string {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return "?"
	}
	return fmt.Sprintf("%X", sha256.Sum256(block.Bytes))
}

// handle answers every request with a short description of it.
func handle(req *tinyhttp.Request) {
	body := fmt.Sprintf("hello over TLS\nsecure: %v\nrequest: %s %s HTTP/%s\n",
		req.Secure(), req.Method(), req.URL(), req.HTTPVersion())
	req.Respond(tinyhttp.FromString(body))
}

package tinyhttp

import (
	"crypto/tls"
	"log"
	"log/slog"
	"net"
	"time"
)

// The server's configuration: ServerConfig with its defaults (CONFORMANCE.md's
// table of limits), and config, the same with every default applied.

// Defaults of ServerConfig, from CONFORMANCE.md's table of limits.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	// DefaultBodyReadTimeout bounds a stalled request body, like the write side.
	DefaultBodyReadTimeout = 30 * time.Second
	// DefaultHandshakeTimeout bounds a TLS handshake, so a silent client holds
	// nothing but its own connection.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultBufferGrace is how long a connection waiting for its next
	// request keeps its read buffer (4 KiB) and head arena (1 KiB). A busy
	// keep-alive client sends its next request well within it; a connection
	// quiet for longer gives them back, and pays for it one more read when
	// its request comes, which at one request per 20 ms or less is nothing.
	// At 250 ms, 10,000 connections each cycling a request every 170 ms held
	// nearly all their buffers: 16.9 KiB per connection (net/http: 30.6); at
	// 20 ms, 13.5, and idle ones 7.4 instead of 8.1, with keep-alive req/s
	// unchanged (bench/RESULTS.md). The deadline that ends the wait is
	// renewed at most every half grace per connection: once in twenty
	// requests on one whose requests come 0.5 ms apart.
	DefaultBufferGrace       = 20 * time.Millisecond
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxHeaderFields   = 100
	DefaultMaxRequestLine    = 8 << 10
	DefaultMaxPipelined      = 64
	DefaultMaxChunkLineBytes = 4 << 10
	// DefaultServerName is the Server field value sent when none is configured.
	DefaultServerName = "tinyhttp"
)

// ServerConfig configures a server. Every field's zero value means the
// default given on it; durations below zero mean "no limit".
type ServerConfig struct {
	Network string     // "tcp" (default), "tcp4", "tcp6" or "unix"
	Addr    string     // "host:port", or a socket path for "unix"
	SSL     *SSLConfig // nil: plain HTTP (unless TLSConfig is set)
	// TLSConfig, when set, serves HTTPS with this configuration (for example
	// with GetCertificate for certificate reloads) instead of SSL's. The
	// server clones it and enforces TLS 1.2 or later and ALPN http/1.1.
	TLSConfig *tls.Config

	ReadHeaderTimeout time.Duration // from a request's first byte to the end of its head; 0: 10 s (408 when it passes)
	IdleTimeout       time.Duration // keep-alive wait for the next request; 0: 60 s (the connection is closed)
	WriteTimeout      time.Duration // a response write without progress; 0: 30 s (the connection is closed)
	BodyReadTimeout   time.Duration // a request body read without progress; 0: 30 s (the read fails, the connection closes)
	HandshakeTimeout  time.Duration // TLS handshake; 0: 10 s
	// BufferGrace is how long a connection waiting for its next request
	// keeps its read buffer before it gives it back to a pool; 0: 20 ms
	// (DefaultBufferGrace); below 0: it gives it back as soon as it waits.
	// A longer grace trades memory per quiet connection for fewer pool
	// round trips; from 256 open connections on, a plain TCP or Unix socket
	// waits without a read buffer whatever the grace.
	BufferGrace time.Duration

	MaxHeaderBytes     int           // request line + header section, bytes; 0: 64 KiB (431 above)
	MaxHeaderFields    int           // header fields in one request; 0: 100 (431 above)
	MaxRequestLine     int           // request line, bytes; 0: 8 KiB (414 above)
	MaxBodyBytes       int64         // largest request body accepted; 0: unlimited (413 above, sent before reading)
	MaxConnections     int           // open connections at once; 0: unlimited (503 for the extra connection)
	MaxPipelined       int           // requests read ahead on one connection before the application answers; 0: 64
	MaxChunkLineBytes  int           // a chunk-size line with its extensions; 0: 4 KiB (400 above)
	WorkerIdleTimeout  time.Duration // idle pool workers expire after this; 0: 5 s, like tiny-http
	ServerName         string        // the Server field value; "": "tinyhttp"
	DisableServerField bool          // send no Server field at all

	// Logger receives the server's own records; nil: slog.Default(). Error:
	// accept failures ("err", "retry"), handler panics ("method", "target",
	// "remote", "panic", "stack"). Warn: handler misuse (a superfluous
	// WriteHeader). Debug, at most 20 a second with "suppressed" counting
	// the rest: TLS handshake failures and requests the server refused
	// ("remote", "status", "err"), which a flood of bad clients would
	// otherwise turn into a flood of records.
	Logger *slog.Logger
	// ErrorLog receives the records as text when Logger is nil.
	//
	// Deprecated: use Logger.
	ErrorLog *log.Logger
	// ConnState, when set, is called as connections change state (see
	// ConnState): from the connection's goroutines, never two calls for one
	// connection at once, never with a server lock held. It must not block
	// for long: the connection waits for it.
	ConnState func(net.Conn, ConnState)

	// Compression compresses eligible responses (gzip or deflate, as the
	// client accepts) by media type and size; see CompressionConfig. nil:
	// off, only responses that call WithCompression are compressed.
	Compression *CompressionConfig
	// MaxDecodedBodyBytes bounds the body Request.DecodedBody decompresses
	// (ErrBodyTooLarge, 413, above it); 0: 16 MiB, negative: unlimited.
	MaxDecodedBodyBytes int64

	// ProxyProtocol reads a PROXY protocol header (v1 or v2) at the start
	// of each connection from a trusted proxy, so that RemoteAddr shows the
	// client behind it; see ProxyProtocolConfig. nil: off, a PROXY header
	// is read as a (bad) request.
	ProxyProtocol *ProxyProtocolConfig
	// ReusePort binds the TCP listener with SO_REUSEPORT (Linux, the BSDs,
	// macOS), so that several servers, in one process or several, listen on
	// one port and the kernel spreads new connections between them; every
	// one of them must set it (see reuseport.go). false: a taken port is
	// ErrAddressInUse. With a Unix socket, or where the platform lacks the
	// option, NewServer returns ErrReusePortUnsupported. Ignored by
	// NewServerFromListener, whose listener is bound already.
	ReusePort bool

	// DisableHTTP2 stops HTTPS from offering h2 in ALPN: every connection
	// speaks HTTP/1.1. By default HTTPS offers h2 first, then http/1.1.
	DisableHTTP2 bool
	// H2C accepts cleartext HTTP/2 with prior knowledge: a plain connection
	// that opens with the HTTP/2 preface is served as HTTP/2 (RFC 9113
	// §3.3). Off by default; with it off, a preface gets 505 as any
	// HTTP/2.0 request line does.
	H2C bool
	// MaxConcurrentStreams bounds the streams in flight on one HTTP/2
	// connection (SETTINGS_MAX_CONCURRENT_STREAMS); 0: 250.
	MaxConcurrentStreams int
	// MaxReadFrameSize is the largest HTTP/2 frame the server accepts
	// (SETTINGS_MAX_FRAME_SIZE, 16 KiB to 16 MiB); 0: 1 MiB, x/net's default.
	MaxReadFrameSize int
}

// config is a ServerConfig with every default applied.
type config struct {
	tls               *tls.Config
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration
	writeTimeout      time.Duration
	bodyReadTimeout   time.Duration
	handshakeTimeout  time.Duration
	bufferGrace       time.Duration // 0: waits start unbuffered
	headLimits        headLimits
	chunkLimits       chunkLimits
	maxBodyBytes      int64
	maxConnections    int
	maxPipelined      int
	workerIdleTimeout time.Duration
	server            responsePolicy
	logger            *slog.Logger
	connState         func(net.Conn, ConnState)

	maxDecodedBodyBytes int64        // Request.DecodedBody's bound; 0: unlimited
	proxy               *proxyConfig // the PROXY protocol; nil: off (proxyproto.go)

	http2                bool // HTTPS offers h2
	h2c                  bool // cleartext HTTP/2 with prior knowledge
	maxConcurrentStreams int
	maxReadFrameSize     int
}

// orDefault returns d for the zero value, 0 (none) for a negative one.
func orDefault(v, d time.Duration) time.Duration {
	switch {
	case v == 0:
		return d
	case v < 0:
		return 0
	}
	return v
}

func intOr(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// resolve applies the defaults and builds the TLS configuration.
func (sc *ServerConfig) resolve() (*config, error) {
	c := &config{
		readHeaderTimeout: orDefault(sc.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		idleTimeout:       orDefault(sc.IdleTimeout, DefaultIdleTimeout),
		writeTimeout:      orDefault(sc.WriteTimeout, DefaultWriteTimeout),
		bodyReadTimeout:   orDefault(sc.BodyReadTimeout, DefaultBodyReadTimeout),
		handshakeTimeout:  orDefault(sc.HandshakeTimeout, DefaultHandshakeTimeout),
		bufferGrace:       orDefault(sc.BufferGrace, DefaultBufferGrace),
		headLimits: headLimits{
			maxLine:   intOr(sc.MaxRequestLine, DefaultMaxRequestLine),
			maxHeader: intOr(sc.MaxHeaderBytes, DefaultMaxHeaderBytes),
			maxFields: intOr(sc.MaxHeaderFields, DefaultMaxHeaderFields),
		},
		maxBodyBytes:      max(sc.MaxBodyBytes, 0),
		maxConnections:    max(sc.MaxConnections, 0),
		maxPipelined:      intOr(sc.MaxPipelined, DefaultMaxPipelined),
		workerIdleTimeout: orDefault(sc.WorkerIdleTimeout, DefaultWorkerIdleTimeout),
		server:            responsePolicy{server: sc.ServerName, compress: sc.Compression.policy()},
		logger:            loggerFor(sc),
		connState:         sc.ConnState,
	}
	c.maxDecodedBodyBytes = decodedLimit(sc.MaxDecodedBodyBytes)
	proxy, err := sc.ProxyProtocol.resolve()
	if err != nil {
		return nil, err
	}
	c.proxy = proxy
	c.maxConcurrentStreams = intOr(sc.MaxConcurrentStreams, DefaultMaxConcurrentStreams)
	c.maxReadFrameSize = intOr(sc.MaxReadFrameSize, defaultMaxReadFrameSize)
	c.h2c = sc.H2C
	c.chunkLimits = chunkLimits{
		maxLine:     intOr(sc.MaxChunkLineBytes, DefaultMaxChunkLineBytes),
		maxTrailers: c.headLimits.maxHeader,
		maxFields:   c.headLimits.maxFields,
	}
	if c.workerIdleTimeout == 0 {
		c.workerIdleTimeout = DefaultWorkerIdleTimeout // ants needs a positive expiry
	}
	if c.server.server == "" {
		c.server.server = DefaultServerName
	}
	if sc.DisableServerField {
		c.server.server = ""
	}
	switch {
	case sc.TLSConfig != nil:
		c.tls = secureDefaults(sc.TLSConfig.Clone())
	case sc.SSL != nil:
		t, err := sc.SSL.TLSConfig()
		if err != nil {
			return nil, err
		}
		c.tls = t
	}
	if c.tls != nil && !sc.DisableHTTP2 {
		c.http2 = true
		c.tls.NextProtos = []string{"h2", "http/1.1"}
	}
	return c, nil
}

package tinyhttp_test

import (
	"context"
	"io"
	"iter"
	"net"
	"os"
	"time"

	"github.com/c0c8f223/tinyhttp"
)

// The exported API of ../shared/API.md, with its exact signatures: this
// file stops compiling if one drifts.
var (
	_ func(string) (*tinyhttp.Server, error)                            = tinyhttp.HTTP
	_ func(string, tinyhttp.SSLConfig) (*tinyhttp.Server, error)        = tinyhttp.HTTPS
	_ func(string) (*tinyhttp.Server, error)                            = tinyhttp.HTTPUnix
	_ func(tinyhttp.ServerConfig) (*tinyhttp.Server, error)             = tinyhttp.NewServer
	_ func(net.Listener, *tinyhttp.SSLConfig) (*tinyhttp.Server, error) = tinyhttp.FromListener

	_ func(*tinyhttp.Server) (*tinyhttp.Request, error)                  = (*tinyhttp.Server).Recv
	_ func(*tinyhttp.Server, time.Duration) (*tinyhttp.Request, error)   = (*tinyhttp.Server).RecvTimeout
	_ func(*tinyhttp.Server) (*tinyhttp.Request, error)                  = (*tinyhttp.Server).TryRecv
	_ func(*tinyhttp.Server, context.Context) (*tinyhttp.Request, error) = (*tinyhttp.Server).RecvContext
	_ func(*tinyhttp.Server) iter.Seq[*tinyhttp.Request]                 = (*tinyhttp.Server).Incoming
	_ func(*tinyhttp.Server)                                             = (*tinyhttp.Server).Unblock
	_ func(*tinyhttp.Server) net.Addr                                    = (*tinyhttp.Server).Addr
	_ func(*tinyhttp.Server) int                                         = (*tinyhttp.Server).NumConnections
	_ func(*tinyhttp.Server) error                                       = (*tinyhttp.Server).Close
	_ func(*tinyhttp.Server, context.Context) error                      = (*tinyhttp.Server).Shutdown

	_ error = tinyhttp.ErrUnblocked
	_ error = tinyhttp.ErrServerClosed

	_ func(*tinyhttp.Request) tinyhttp.Method                               = (*tinyhttp.Request).Method
	_ func(*tinyhttp.Request) string                                        = (*tinyhttp.Request).URL
	_ func(*tinyhttp.Request) []tinyhttp.Header                             = (*tinyhttp.Request).Headers
	_ func(*tinyhttp.Request, string) (string, bool)                        = (*tinyhttp.Request).Header
	_ func(*tinyhttp.Request) tinyhttp.HTTPVersion                          = (*tinyhttp.Request).HTTPVersion
	_ func(*tinyhttp.Request) (int64, bool)                                 = (*tinyhttp.Request).BodyLength
	_ func(*tinyhttp.Request) net.Addr                                      = (*tinyhttp.Request).RemoteAddr
	_ func(*tinyhttp.Request) bool                                          = (*tinyhttp.Request).Secure
	_ func(*tinyhttp.Request) io.Reader                                     = (*tinyhttp.Request).Body
	_ func(*tinyhttp.Request) []tinyhttp.Header                             = (*tinyhttp.Request).Trailers
	_ func(*tinyhttp.Request, *tinyhttp.Response) error                     = (*tinyhttp.Request).Respond
	_ func(*tinyhttp.Request) (io.WriteCloser, error)                       = (*tinyhttp.Request).IntoWriter
	_ func(*tinyhttp.Request, string, *tinyhttp.Response) (net.Conn, error) = (*tinyhttp.Request).Upgrade

	_ func(tinyhttp.StatusCode, []tinyhttp.Header, io.Reader, int64) *tinyhttp.Response = tinyhttp.NewResponse
	_ func(string) *tinyhttp.Response                                                   = tinyhttp.FromString
	_ func([]byte) *tinyhttp.Response                                                   = tinyhttp.FromData
	_ func(*os.File) *tinyhttp.Response                                                 = tinyhttp.FromFile
	_ func(tinyhttp.StatusCode) *tinyhttp.Response                                      = tinyhttp.Empty

	_ func(*tinyhttp.Response, tinyhttp.StatusCode) *tinyhttp.Response = (*tinyhttp.Response).WithStatusCode
	_ func(*tinyhttp.Response, tinyhttp.Header) *tinyhttp.Response     = (*tinyhttp.Response).WithHeader
	_ func(*tinyhttp.Response, io.Reader, int64) *tinyhttp.Response    = (*tinyhttp.Response).WithData
	_ func(*tinyhttp.Response, int64) *tinyhttp.Response               = (*tinyhttp.Response).WithChunkedThreshold
	_ func(*tinyhttp.Response) tinyhttp.StatusCode                     = (*tinyhttp.Response).StatusCode
	_ func(*tinyhttp.Response) []tinyhttp.Header                       = (*tinyhttp.Response).Headers
	_ func(*tinyhttp.Response) (int64, bool)                           = (*tinyhttp.Response).DataLength
	_ func(*tinyhttp.Response) int64                                   = (*tinyhttp.Response).ChunkedThreshold

	_ func(string, string) (tinyhttp.Header, error) = tinyhttp.NewHeader
	_ func(string) (tinyhttp.Header, error)         = tinyhttp.ParseHeader
	_ func(tinyhttp.Header) string                  = tinyhttp.Header.String
	_ func(tinyhttp.HeaderField, string) bool       = tinyhttp.HeaderField.Equal
	_ func(tinyhttp.HTTPVersion) string             = tinyhttp.HTTPVersion.String
	_ func(tinyhttp.StatusCode) string              = tinyhttp.StatusCode.DefaultReasonPhrase

	_ = tinyhttp.Header{Field: "X", Value: "v"}
	_ = tinyhttp.HTTPVersion{Major: 1, Minor: 1}
	_ = tinyhttp.SSLConfig{Certificate: nil, PrivateKey: nil}
	_ = []tinyhttp.Method{tinyhttp.MethodGet, tinyhttp.MethodHead, tinyhttp.MethodPost, tinyhttp.MethodPut,
		tinyhttp.MethodDelete, tinyhttp.MethodConnect, tinyhttp.MethodOptions, tinyhttp.MethodTrace, tinyhttp.MethodPatch}
	_ = tinyhttp.ServerConfig{
		Network: "tcp", Addr: "", SSL: nil,
		ReadHeaderTimeout: 0, IdleTimeout: 0, WriteTimeout: 0,
		MaxHeaderBytes: 0, MaxBodyBytes: 0, MaxConnections: 0, WorkerIdleTimeout: 0,
	}
)

module github.com/c0c8f223/tinyhttp

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/net v0.63.0
)

require (
	github.com/pires/go-proxyproto v0.15.0
	golang.org/x/sys v0.50.0
)

require (
	github.com/klauspost/compress v1.20.0
	github.com/panjf2000/ants/v2 v2.12.1
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

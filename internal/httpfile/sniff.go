// The signature table and the order of the checks below follow net/http's sniff.go:
//
// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file of the Go distribution.

package httpfile

import "encoding/binary"

// SniffLen is the number of leading bytes DetectContentType looks at.
const SniffLen = 512

// DetectContentType returns the MIME type of data by the WHATWG MIME Sniffing algorithm
// (https://mimesniff.spec.whatwg.org/), looking at most at its first SniffLen bytes, or
// "application/octet-stream". It gives the same answers as net/http's DetectContentType (a test
// checks this), without linking net/http into programs that otherwise do not need it.
func DetectContentType(data []byte) string {
	if len(data) > SniffLen {
		data = data[:SniffLen]
	}
	firstNonWS := 0
	for firstNonWS < len(data) && isSniffWS(data[firstNonWS]) {
		firstNonWS++
	}
	for i := range sniffSigs {
		if sniffSigs[i].match(data, firstNonWS) {
			return sniffSigs[i].ct
		}
	}
	if isMP4(data) {
		return "video/mp4"
	}
	for i := range sniffSigs2 {
		if sniffSigs2[i].match(data, firstNonWS) {
			return sniffSigs2[i].ct
		}
	}
	if isText(data[firstNonWS:]) {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// A sniffSig is one row of the pattern table of the MIME Sniffing standard.
type sniffSig struct {
	pat    string // the pattern (upper case for an HTML tag)
	mask   string // pattern mask; empty means an exact prefix
	skipWS bool   // skip leading whitespace first
	html   bool   // an HTML tag: case-insensitive letters, then a tag-terminating byte
	ct     string
}

func (s *sniffSig) match(data []byte, firstNonWS int) bool {
	if s.skipWS || s.html {
		data = data[firstNonWS:]
	}
	if len(data) < len(s.pat) {
		return false
	}
	switch {
	case s.html:
		if len(data) == len(s.pat) {
			return false
		}
		for i := 0; i < len(s.pat); i++ {
			b, db := s.pat[i], data[i]
			if 'A' <= b && b <= 'Z' {
				db &= 0xDF
			}
			if b != db {
				return false
			}
		}
		return data[len(s.pat)] == ' ' || data[len(s.pat)] == '>'
	case s.mask == "":
		return string(data[:len(s.pat)]) == s.pat
	default:
		for i := 0; i < len(s.pat); i++ {
			if data[i]&s.mask[i] != s.pat[i] {
				return false
			}
		}
		return true
	}
}

func html(tag string) sniffSig { return sniffSig{pat: tag, html: true, ct: "text/html; charset=utf-8"} }

func exact(pat, ct string) sniffSig { return sniffSig{pat: pat, ct: ct} }

// sniffSigs are the rows checked before the MP4 signature, in the standard's order.
var sniffSigs = [...]sniffSig{
	html("<!DOCTYPE HTML"), html("<HTML"), html("<HEAD"), html("<SCRIPT"), html("<IFRAME"),
	html("<H1"), html("<DIV"), html("<FONT"), html("<TABLE"), html("<A"), html("<STYLE"),
	html("<TITLE"), html("<B"), html("<BODY"), html("<BR"), html("<P"), html("<!--"),
	{pat: "<?xml", mask: "\xFF\xFF\xFF\xFF\xFF", skipWS: true, ct: "text/xml; charset=utf-8"},
	exact("%PDF-", "application/pdf"),
	exact("%!PS-Adobe-", "application/postscript"),

	// Byte order marks.
	{pat: "\xFE\xFF\x00\x00", mask: "\xFF\xFF\x00\x00", ct: "text/plain; charset=utf-16be"},
	{pat: "\xFF\xFE\x00\x00", mask: "\xFF\xFF\x00\x00", ct: "text/plain; charset=utf-16le"},
	{pat: "\xEF\xBB\xBF\x00", mask: "\xFF\xFF\xFF\x00", ct: "text/plain; charset=utf-8"},

	// Images.
	exact("\x00\x00\x01\x00", "image/x-icon"),
	exact("\x00\x00\x02\x00", "image/x-icon"),
	exact("BM", "image/bmp"),
	exact("GIF87a", "image/gif"),
	exact("GIF89a", "image/gif"),
	{pat: "RIFF\x00\x00\x00\x00WEBPVP", mask: "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF", ct: "image/webp"},
	exact("\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
	exact("\xFF\xD8\xFF", "image/jpeg"),

	// Audio and video, before MP4.
	{pat: "FORM\x00\x00\x00\x00AIFF", mask: "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", ct: "audio/aiff"},
	exact("ID3", "audio/mpeg"),
	exact("OggS\x00", "application/ogg"),
	exact("MThd\x00\x00\x00\x06", "audio/midi"),
	{pat: "RIFF\x00\x00\x00\x00AVI ", mask: "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", ct: "video/avi"},
	{pat: "RIFF\x00\x00\x00\x00WAVE", mask: "\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF", ct: "audio/wave"},
}

// sniffSigs2 are the rows checked after the MP4 signature.
var sniffSigs2 = [...]sniffSig{
	exact("\x1A\x45\xDF\xA3", "video/webm"),

	// Fonts: 34 bytes of anything, then "LP".
	{pat: "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00LP",
		mask: "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xFF\xFF",
		ct:   "application/vnd.ms-fontobject"},
	exact("\x00\x01\x00\x00", "font/ttf"),
	exact("OTTO", "font/otf"),
	exact("ttcf", "font/collection"),
	exact("wOFF", "font/woff"),
	exact("wOF2", "font/woff2"),

	// Archives. RAR follows RAR Labs' signatures, as net/http does (whatwg/mimesniff#63).
	exact("\x1F\x8B\x08", "application/x-gzip"),
	exact("PK\x03\x04", "application/zip"),
	exact("Rar!\x1A\x07\x00", "application/x-rar-compressed"),
	exact("Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),

	exact("\x00asm", "application/wasm"),
}

// isMP4 implements the MP4 signature of the standard (§6.2.1): an ftyp box whose major or a
// compatible brand starts with "mp4".
func isMP4(data []byte) bool {
	if len(data) < 12 {
		return false
	}
	boxSize := int(binary.BigEndian.Uint32(data[:4]))
	if len(data) < boxSize || boxSize%4 != 0 || string(data[4:8]) != "ftyp" {
		return false
	}
	for st := 8; st < boxSize; st += 4 {
		if st == 12 {
			continue // the minor version of the major brand
		}
		if string(data[st:st+3]) == "mp4" {
			return true
		}
	}
	return false
}

// isText reports whether data has no binary data bytes (the standard's §7.1 step 4).
func isText(data []byte) bool {
	for _, b := range data {
		switch {
		case b <= 0x08, b == 0x0B, 0x0E <= b && b <= 0x1A, 0x1C <= b && b <= 0x1F:
			return false
		}
	}
	return true
}

// isSniffWS reports whether b is whitespace in the sense of the standard.
func isSniffWS(b byte) bool {
	switch b {
	case '\t', '\n', '\x0c', '\r', ' ':
		return true
	}
	return false
}

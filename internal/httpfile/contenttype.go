package httpfile

import (
	"mime"
	"os"
)

// maxBuiltinExt is the longest extension in the built-in table (".woff2"); longer ones skip it.
const maxBuiltinExt = len(".woff2")

// ContentType returns the Content-Type for a file named name (a base name or a path):
//
//  1. by its extension, from a built-in table of common web types, so that the answer for them does
//     not depend on the machine's /etc/mime.types (which mime.TypeByExtension reads);
//  2. by its extension, from mime.TypeByExtension;
//  3. by its content: DetectContentType of what sniff returns (the first SniffLen bytes of the file,
//     or fewer; sniff is called only if needed, and may be nil);
//  4. "application/octet-stream".
//
// Extensions match case-insensitively. Text types carry "; charset=utf-8", as net/http's do.
func ContentType(name string, sniff func() []byte) string {
	if ext := extension(name); ext != "" {
		if ct := builtinType(ext); ct != "" {
			return ct
		}
		if ct := mime.TypeByExtension(ext); ct != "" {
			return ct
		}
	}
	if sniff != nil {
		return DetectContentType(sniff())
	}
	return "application/octet-stream"
}

// extension returns the extension of the last element of the path name, dot included, or "".
func extension(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			return name[i:]
		}
		if name[i] == '/' || os.IsPathSeparator(name[i]) {
			return ""
		}
	}
	return ""
}

// builtinType returns the Content-Type for the extension ext (with its dot) from the built-in table,
// or "".
func builtinType(ext string) string {
	if len(ext) > maxBuiltinExt {
		return ""
	}
	var buf [maxBuiltinExt]byte
	for i := 0; i < len(ext); i++ {
		c := ext[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(ext)]) {
	case ".html", ".htm":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8" // RFC 9239
	case ".json", ".map":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".md":
		return "text/markdown; charset=utf-8"
	case ".xml":
		return "text/xml; charset=utf-8" // what mime and DetectContentType say
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".svg":
		return "image/svg+xml"
	case ".webp":
		return "image/webp"
	case ".avif":
		return "image/avif"
	case ".ico":
		return "image/vnd.microsoft.icon" // IANA's, and Go's built-in; browsers accept it and image/x-icon
	case ".wasm":
		return "application/wasm"
	case ".mp4":
		return "video/mp4"
	case ".webm":
		return "video/webm" // Go's built-in says audio/webm, but most .webm files are video
	case ".mp3":
		return "audio/mpeg"
	case ".wav":
		return "audio/wav"
	case ".ogg":
		return "audio/ogg" // RFC 5334
	case ".pdf":
		return "application/pdf"
	case ".zip":
		return "application/zip"
	case ".gz":
		return "application/gzip"
	case ".tar":
		return "application/x-tar"
	case ".woff":
		return "font/woff"
	case ".woff2":
		return "font/woff2"
	case ".ttf":
		return "font/ttf"
	case ".otf":
		return "font/otf"
	}
	return ""
}

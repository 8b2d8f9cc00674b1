package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// conn is one worker's keep-alive HTTP/1.1 connection. The load generator
// shares the machine's cores with the server it measures, so every
// microsecond it spends per request is taken from the server: requests are
// written from bytes prepared once, and answers are parsed just enough to
// know their status and body (Content-Length or chunked), as wrk does. It is
// not safe for concurrent use; each worker has its own.
type conn struct {
	target  *url.URL
	addr    string
	timeout time.Duration

	nc  net.Conn
	br  *bufio.Reader
	buf []byte // the request being written
	// body holds the last answer's body until the next request.
	body []byte
}

func newConn(target *url.URL, timeout time.Duration) *conn {
	addr := target.Host
	if target.Port() == "" {
		if target.Scheme == "https" {
			addr = net.JoinHostPort(target.Hostname(), "443")
		} else {
			addr = net.JoinHostPort(target.Hostname(), "80")
		}
	}
	return &conn{target: target, addr: addr, timeout: timeout}
}

func (c *conn) dial() error {
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.Dial("tcp", c.addr)
	if err != nil {
		return err
	}
	if c.target.Scheme == "https" {
		tc := tls.Client(nc, &tls.Config{ServerName: c.target.Hostname()})
		if err := tc.Handshake(); err != nil {
			nc.Close()
			return err
		}
		nc = tc
	}
	c.nc = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 16<<10)
	} else {
		c.br.Reset(nc)
	}
	return nil
}

func (c *conn) close() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

// request is a prepared request: everything but the body is fixed.
type request struct {
	head []byte // request line and headers up to (not including) Content-Length
}

// prepare builds the fixed part of a request. headers are name, value pairs.
func (c *conn) prepare(method, path string, headers ...string) request {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: loadgen\r\n", method, c.target.EscapedPath()+path, c.target.Host)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", headers[i], headers[i+1])
		}
	}
	return request{head: b.Bytes()}
}

// do sends r with body (nil: none) and reads the answer, retrying once on a
// fresh connection when a kept-alive one turns out to be closed. The body of
// the answer is valid until the next call.
func (c *conn) do(r request, body []byte) (status int, err error) {
	for attempt := 0; ; attempt++ {
		reused := c.nc != nil
		if !reused {
			if err := c.dial(); err != nil {
				return 0, err
			}
		}
		var unanswered bool
		status, unanswered, err = c.roundTrip(r, body)
		if err == nil {
			return status, nil
		}
		c.close()
		// A server may close an idle keep-alive connection just as we write:
		// the request was then never read, and only that is worth one more
		// try (a refresh that was processed must not be sent twice).
		if !reused || attempt > 0 || !unanswered {
			return 0, err
		}
	}
}

// roundTrip writes the request and reads its answer. unanswered reports a
// failure before any byte of an answer arrived (write error or clean EOF).
func (c *conn) roundTrip(r request, body []byte) (status int, unanswered bool, err error) {
	c.buf = append(c.buf[:0], r.head...)
	if body != nil {
		c.buf = append(c.buf, "Content-Length: "...)
		c.buf = strconv.AppendInt(c.buf, int64(len(body)), 10)
		c.buf = append(c.buf, "\r\n"...)
	}
	c.buf = append(c.buf, "\r\n"...)
	c.buf = append(c.buf, body...)
	if c.timeout > 0 {
		if err := c.nc.SetDeadline(time.Now().Add(c.timeout)); err != nil {
			return 0, true, err
		}
	}
	if _, err := c.nc.Write(c.buf); err != nil {
		return 0, true, err
	}
	if _, err := c.br.Peek(1); err != nil {
		return 0, errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET), err
	}
	status, keep, respBody, err := readResponse(c.br, c.body[:0])
	c.body = respBody
	if err != nil {
		return 0, false, err
	}
	if !keep {
		c.close()
	}
	return status, false, nil
}

var errMalformed = errors.New("malformed HTTP response")

// maxBody bounds what one answer may hold, so that a broken server cannot
// make the load generator grow without end.
const maxBody = 8 << 20

// readResponse reads one HTTP/1.1 response from br, appending its body to
// body. keep reports whether the connection may carry another request.
func readResponse(br *bufio.Reader, body []byte) (status int, keep bool, _ []byte, err error) {
	line, err := readLine(br)
	if err != nil {
		return 0, false, body, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, body, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 || (len(line) > 12 && line[12] != ' ') {
		return 0, false, body, errMalformed
	}
	keep = line[7] == '1' // HTTP/1.1 keeps alive unless told otherwise
	length, chunked := -1, false
	for {
		line, err = readLine(br)
		if err != nil {
			return 0, false, body, err
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, false, body, errMalformed
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case asciiEqualFold(name, "Content-Length"):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || (length >= 0 && n != length) {
				return 0, false, body, errMalformed
			}
			length = n
		case asciiEqualFold(name, "Transfer-Encoding"):
			if !asciiEqualFold(value, "chunked") {
				return 0, false, body, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case asciiEqualFold(name, "Connection"):
			switch {
			case asciiEqualFold(value, "close"):
				keep = false
			case asciiEqualFold(value, "keep-alive"):
				keep = true
			}
		}
	}
	switch {
	case status < 200 || status == 204 || status == 304:
		// no body
	case chunked:
		body, err = readChunked(br, body)
	case length >= 0:
		if length > maxBody {
			return 0, false, body, errMalformed
		}
		body, err = readN(br, body, length)
	default:
		// Body until the server closes the connection.
		body, err = readAll(br, body)
		keep = false
	}
	if err != nil {
		return 0, false, body, err
	}
	return status, keep, body, nil
}

func readChunked(br *bufio.Reader, body []byte) ([]byte, error) {
	for {
		line, err := readLine(br)
		if err != nil {
			return body, err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 32)
		if err != nil || n < 0 || len(body)+int(n) > maxBody {
			return body, errMalformed
		}
		if n == 0 {
			// Trailers, then the empty line.
			for {
				line, err := readLine(br)
				if err != nil {
					return body, err
				}
				if len(line) == 0 {
					return body, nil
				}
			}
		}
		if body, err = readN(br, body, int(n)); err != nil {
			return body, err
		}
		if line, err := readLine(br); err != nil || len(line) != 0 {
			return body, errMalformed
		}
	}
}

func readN(br *bufio.Reader, body []byte, n int) ([]byte, error) {
	start := len(body)
	body = append(body, make([]byte, n)...)
	_, err := io.ReadFull(br, body[start:])
	return body, err
}

func readAll(br *bufio.Reader, body []byte) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(br, maxBody+1))
	if len(b) > maxBody {
		return body, errMalformed
	}
	return append(body, b...), err
}

// readLine reads a CRLF- (or LF-) terminated line without its terminator.
// The slice is valid until the next read.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errMalformed
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

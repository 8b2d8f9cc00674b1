// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp)
// inside the test process and decodes what it receives, so tests read the
// mails the server sends as a mail client would: headers, the plain-text and
// HTML bodies (quoted-printable or base64 decoded), links and tickets.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received mail, decoded.
type Message struct {
	From    string
	To      []string
	Header  mail.Header
	Subject string // RFC 2047 decoded
	Text    string // text/plain body, decoded
	HTML    string // text/html body, decoded
	Raw     []byte
	TLS     bool   // the message came over TLS (STARTTLS or implicit)
	AuthAs  string // the user that authenticated, if any
}

// Link is the first https?:// URL of the plain-text body, or of the HTML
// body (entities decoded) when there is no plain text.
func (m *Message) Link() string {
	if l := linkPattern.FindString(m.Text); l != "" {
		return l
	}
	return html.UnescapeString(linkPattern.FindString(m.HTML))
}

var linkPattern = regexp.MustCompile(`https?://[^\s"'<>]+`)

// Server is an SMTP server on 127.0.0.1.
type Server struct {
	Host string
	Port int

	srv      *smtp.Server
	user     string
	pass     string
	mu       sync.Mutex
	msgs     []*Message
	arrived  chan struct{} // closed and replaced on each message
	failData bool
	delay    time.Duration
	implicit bool
}

// Option configures a Server.
type Option func(*Server)

// WithAuth requires AUTH with user and pass (PLAIN, LOGIN or CRAM-MD5).
func WithAuth(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// WithSTARTTLS offers STARTTLS with cfg.
func WithSTARTTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.srv.TLSConfig = cfg }
}

// WithImplicitTLS speaks TLS from the first byte (SMTPS, port 465 style).
func WithImplicitTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.srv.TLSConfig, s.implicit = cfg, true }
}

// Start listens on a free loopback port; the server stops when t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{Host: "127.0.0.1", arrived: make(chan struct{})}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true // the client decides what it sends in clear
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	for _, o := range opts {
		o(s)
	}
	var (
		l   net.Listener
		err error
	)
	if s.implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", s.srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// PortString is the port as AUTH_SMTP_PORT wants it.
func (s *Server) PortString() string { return strconv.Itoa(s.Port) }

// Close stops the server: later sends fail to connect (SMTP down).
func (s *Server) Close() { _ = s.srv.Close() }

// SetFailing makes DATA answer 451 (a server that accepts the connection but not the mail).
func (s *Server) SetFailing(fail bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failData = fail
}

// SetDelay holds every DATA for d before accepting it (a slow server).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Messages returns what has arrived so far.
func (s *Server) Messages() []*Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Message(nil), s.msgs...)
}

// To returns the messages received for rcpt so far.
func (s *Server) To(rcpt string) []*Message {
	var out []*Message
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, rcpt) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Wait returns the n-th (1-based) message for rcpt, waiting up to 5 s for it.
func (s *Server) Wait(t testing.TB, rcpt string, n int) *Message {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		s.mu.Lock()
		ch := s.arrived
		s.mu.Unlock()
		if got := s.To(rcpt); len(got) >= n {
			return got[n-1]
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("mailtest: no message #%d for %s within 5s (have %d)", n, rcpt, len(s.To(rcpt)))
			return nil
		}
	}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c}, nil
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	from   string
	to     []string
	authAs string
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login, "CRAM-MD5"}
}

var errBadCredentials = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}

func (x *session) check(user, pass string) error {
	if user != x.s.user || pass != x.s.pass {
		return errBadCredentials
	}
	x.authAs = user
	return nil
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return x.check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: x.check}, nil
	case "CRAM-MD5":
		return &cramServer{s: x}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (x *session) requireAuth() error {
	if x.s.user != "" && x.authAs == "" {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := x.requireAuth(); err != nil {
		return err
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	fail, delay := x.s.failData, x.s.delay
	x.s.mu.Unlock()
	time.Sleep(delay)
	if fail {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: " + err.Error()}
	}
	m.From, m.To, m.AuthAs = x.from, append([]string(nil), x.to...), x.authAs
	_, m.TLS = x.conn.TLSConnectionState()
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	close(x.s.arrived)
	x.s.arrived = make(chan struct{})
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// Parse decodes a raw message: headers, then each text part by its
// Content-Transfer-Encoding.
func Parse(raw []byte) (*Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	m := &Message{Header: msg.Header, Subject: subject, Raw: raw}
	if err := m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Message) readPart(contentType, encoding string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart: decode quoted-printable ourselves, as a client does.
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	var dec io.Reader
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		dec = quotedprintable.NewReader(body)
	case "base64":
		dec = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	case "", "7bit", "8bit", "binary":
		dec = body
	default:
		return fmt.Errorf("unknown transfer encoding %q", encoding)
	}
	b, err := io.ReadAll(dec)
	if err != nil {
		return fmt.Errorf("decode %s body: %w", mt, err)
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}

type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// loginServer is the LOGIN mechanism's server side (go-sasl has only the client).
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil { // initial response carries the user name
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("unexpected LOGIN step")
}

// cramServer is CRAM-MD5 (RFC 2195): the client answers a challenge with
// "user hex(HMAC-MD5(password, challenge))".
type cramServer struct {
	s         *session
	challenge []byte
}

func (c *cramServer) Next(resp []byte) ([]byte, bool, error) {
	if c.challenge == nil {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.challenge = []byte(fmt.Sprintf("<%s.%d@localhost>", hex.EncodeToString(b[:]), time.Now().Unix()))
		return c.challenge, false, nil
	}
	user, digest, ok := strings.Cut(string(resp), " ")
	if !ok {
		return nil, true, errBadCredentials
	}
	mac := hmac.New(md5.New, []byte(c.s.s.pass))
	mac.Write(c.challenge)
	if user != c.s.s.user || !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(digest)) {
		return nil, true, errBadCredentials
	}
	c.s.authAs = user
	return nil, true, nil
}

// TLSPair returns a server TLS config with a fresh self-signed certificate
// for 127.0.0.1, and a client config that trusts only that certificate.
func TLSPair(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailtest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}

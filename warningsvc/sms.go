package warningsvc

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/shandong-emergency/chemguard/warning"
)

// DefaultSMSKinds are the changes an SMS is sent for: a warning published or
// raised to a higher level, a disposal step escalated to the next tier or overdue
// at the province, and the reminders of a warning not yet acknowledged.
var DefaultSMSKinds = []string{string(warning.WarningRaised), string(warning.WarningEscalated),
	string(warning.DisposalEscalated), string(warning.DisposalOverdue), KindReminder}

// DefaultSMSTemplate is the content of an SMS (text/template over NoticeView).
const DefaultSMSTemplate = `【危化品风险预警】{{.CompanyName}}{{with .SubjectName}}（{{.}}）{{end}}{{.ModelZH}}{{.LevelZH}}预警，{{.KindZH}}：{{.Short}}。当前：{{.StepZH}}，{{.TierZH}}监管。{{.Time}}`

// Errors returned by NewSMS.
var (
	ErrSMSURL      = errors.New("alerting: SMS gateway URL must be an absolute http(s) URL")
	ErrSMSTemplate = errors.New("alerting: SMS template does not render")
	ErrSMSSecret   = errors.New("alerting: SMS signing secret given without an app key")
)

// SMSConfig configures the adapter for a generic HTTP SMS gateway (短信网关).
type SMSConfig struct {
	URL          string   // CHEMGUARD_WARNING_SMS_URL: where each message is POSTed
	AppKey       string   // CHEMGUARD_WARNING_SMS_APP_KEY: sent as X-App-Key and app_key
	Secret       string   // CHEMGUARD_WARNING_SMS_SECRET: HMAC-SHA256 signing key (no signature when empty)
	Template     string   // CHEMGUARD_WARNING_SMS_TEMPLATE: content template (DefaultSMSTemplate)
	TemplateCode string   // CHEMGUARD_WARNING_SMS_TEMPLATE_CODE: the gateway's own template id, sent along
	Kinds        []string // CHEMGUARD_WARNING_SMS_KINDS: change kinds sent (DefaultSMSKinds)
	Client       HTTPDoer
	Now          func() time.Time // the signature's clock (time.Now)
}

// SMS sends one message per recipient through an HTTP SMS gateway. Each request
// is a JSON POST:
//
//	{"request_id": "<event>-<mobile>", "app_key": "…", "mobile": "138…", "content": "…",
//	 "template_code": "…", "params": {"company", "company_name", "subject", "model",
//	 "level", "kind", "step", "tier", "reason", "time"}}
//
// signed, when a secret is set, with the headers X-App-Key, X-Timestamp (Unix
// milliseconds), X-Nonce (random hex) and X-Signature = lowercase hex of
// HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + body). request_id is the
// same on every retry, so a gateway can drop duplicates. A 2xx reply is a delivery
// unless its JSON carries a "code" other than 0, "0", "OK" or "success": that, or a
// 4xx other than 429, is a refusal of this recipient (ErrRefused); a 5xx, a 429 or
// no answer means the gateway is down.
type SMS struct {
	cfg  SMSConfig
	tmpl *template.Template
}

// NewSMS checks cfg and returns the adapter.
func NewSMS(cfg SMSConfig) (*SMS, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, ErrSMSURL
	}
	if cfg.Secret != "" && cfg.AppKey == "" {
		return nil, ErrSMSSecret
	}
	if cfg.Template == "" {
		cfg.Template = DefaultSMSTemplate
	}
	if cfg.Kinds == nil {
		cfg.Kinds = DefaultSMSKinds
	}
	if err := CheckKinds(cfg.Kinds); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tmpl, err := template.New("sms").Option("missingkey=error").Parse(cfg.Template)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSMSTemplate, err)
	}
	s := &SMS{cfg: cfg, tmpl: tmpl}
	if _, err := s.content(Notice{Kind: string(warning.WarningRaised), Level: "red", At: time.Unix(0, 0)}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSMSTemplate, err)
	}
	return s, nil
}

// Target implements Notifier: the gateway's host and path (never its query, which
// may hold credentials).
func (s *SMS) Target() string {
	u, _ := url.Parse(s.cfg.URL)
	return "sms:" + u.Host + u.Path
}

// Kinds implements Selective.
func (s *SMS) Kinds() []string { return s.cfg.Kinds }

// Personal implements PersonalNotifier.
func (s *SMS) Personal() {}

func (s *SMS) content(n Notice) (string, error) {
	var b bytes.Buffer
	if err := s.tmpl.Execute(&b, View(n)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Notify implements Notifier; n.Recipient must be set.
func (s *SMS) Notify(ctx context.Context, n Notice) error {
	if n.Recipient == nil {
		return errors.New("sms: notice without a recipient")
	}
	content, err := s.content(n)
	if err != nil {
		return fmt.Errorf("sms: %w", err)
	}
	v := View(n)
	return s.Send(ctx, Text{RequestID: fmt.Sprintf("%d-%s", n.Event, n.Recipient.Mobile), Mobile: n.Recipient.Mobile,
		Content: content, TemplateCode: s.cfg.TemplateCode,
		Params: map[string]string{"company": n.Company, "company_name": v.CompanyName, "subject": n.SubjectName,
			"model": v.ModelZH, "level": v.LevelZH, "kind": v.KindZH, "step": v.StepZH, "tier": v.TierZH,
			"reason": v.Short, "time": v.Time}})
}

// Text is one message to one mobile through the SMS gateway.
type Text struct {
	// RequestID is the same on every retry of one message, so the gateway can
	// drop a duplicate when a reply was lost.
	RequestID    string
	Mobile       string
	Content      string
	TemplateCode string // the gateway's template id ("" when the content stands alone)
	Params       map[string]string
}

// Send posts one text to the gateway (see SMS for the request and the reply). It
// is the one sending path of the platform's SMS: the warning notices (Notify) and
// the base system's urgent notices to company people both go through it.
func (s *SMS) Send(ctx context.Context, t Text) error {
	if strings.TrimSpace(t.Mobile) == "" {
		return fmt.Errorf("sms: %w: no mobile number", ErrRefused)
	}
	if t.Params == nil {
		t.Params = map[string]string{}
	}
	body, err := json.Marshal(map[string]any{
		"request_id": t.RequestID, "app_key": s.cfg.AppKey, "mobile": t.Mobile, "content": t.Content,
		"template_code": t.TemplateCode, "params": t.Params,
	})
	if err != nil {
		return err
	}
	header := http.Header{}
	if s.cfg.AppKey != "" {
		header.Set("X-App-Key", s.cfg.AppKey)
	}
	if s.cfg.Secret != "" {
		ts := strconv.FormatInt(s.cfg.Now().UnixMilli(), 10)
		nonce := make([]byte, 8)
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		header.Set("X-Timestamp", ts)
		header.Set("X-Nonce", hex.EncodeToString(nonce))
		header.Set("X-Signature", SMSSignature(s.cfg.Secret, ts, hex.EncodeToString(nonce), body))
	}
	reply, err := post(ctx, s.cfg.Client, s.cfg.URL, body, header)
	if err != nil {
		return fmt.Errorf("sms: %w", refusedIfClient(err))
	}
	var r struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
		Msg     string `json:"msg"`
	}
	if json.Unmarshal(reply, &r) != nil || r.Code == nil {
		return nil
	}
	code := strings.TrimSpace(fmt.Sprint(r.Code))
	switch strings.ToLower(code) {
	case "0", "ok", "success":
		return nil
	default:
		return fmt.Errorf("sms: %w: gateway code %s: %.200s%.200s", ErrRefused, code, r.Message, r.Msg)
	}
}

// SMSSignature is the X-Signature of a request: lowercase hex of
// HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + body).
func SMSSignature(secret, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n" + nonce + "\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

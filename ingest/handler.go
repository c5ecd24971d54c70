package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/bus"
	"github.com/shandong-emergency/chemguard/events"
	"github.com/shandong-emergency/chemguard/queryparam"
	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/validate"
	"github.com/shandong-emergency/chemguard/web"
)

// Publisher publishes messages and returns only once they are durable.
type Publisher interface {
	Publish(ctx context.Context, msgs []bus.Message) error
}

// Files stores and fetches file bytes by reference.
type Files interface {
	Put(data []byte) (string, error)
	Get(ref string) ([]byte, error)
}

// Authenticator resolves an API key to the enterprise code it belongs to.
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (string, error)
}

// Records reads stored exchange records back.
type Records interface {
	Get(ctx context.Context, t *schemas.Table, company, key string) (store.Current, error)
	List(ctx context.Context, t *schemas.Table, company string, since time.Time, after store.Cursor, limit int) ([]store.Current, error)
	// StoredSince reports whether a version of the record received at or after
	// since is stored (current state or history).
	StoredSince(ctx context.Context, t *schemas.Table, company, key string, since time.Time) (bool, error)
}

// Config bounds what one request may carry.
type Config struct {
	// MaxBodyBytes is the largest request body of a table with files (alarm images up
	// to 4 MB each, base64 adds a third). Tables without files get MaxBodyBytes/4.
	MaxBodyBytes int
	// MaxRecords is the largest batch.
	MaxRecords int
	// PublishTimeout bounds the wait for Kafka's acknowledgement before answering 503.
	PublishTimeout time.Duration
	// AuthCacheTTL is how long a resolved API key is trusted without asking the
	// database again; a revoked key stops working within it.
	AuthCacheTTL time.Duration
	// ReadWait bounds how long a GET by id waits for a version just accepted to be
	// stored by the sink (read-your-writes, see readyourwrites.go).
	ReadWait time.Duration
	// Now is the clock that stamps received_at (time.Now when nil): a test drives
	// the pipeline's receive times with a fake clock.
	Now func() time.Time
}

// Defaults for Config.
const (
	DefaultMaxBodyBytes   = 64 << 20
	DefaultMaxRecords     = 10000
	DefaultPublishTimeout = 15 * time.Second
	DefaultAuthCacheTTL   = 30 * time.Second
	DefaultReadWait       = 5 * time.Second
)

func (c *Config) defaults() {
	chemguard.Default(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	chemguard.Default(&c.MaxRecords, DefaultMaxRecords)
	chemguard.Default(&c.PublishTimeout, DefaultPublishTimeout)
	chemguard.Default(&c.AuthCacheTTL, DefaultAuthCacheTTL)
	chemguard.Default(&c.ReadWait, DefaultReadWait)
}

// Handler serves the exchange API.
type Handler struct {
	cfg      Config
	pub      Publisher
	files    Files
	auth     Authenticator
	records  Records
	metrics  *Metrics
	clock    func() time.Time
	versions versions
	recent   recentWrites

	mu        sync.Mutex
	authCache map[string]authEntry
}

type authEntry struct {
	company string
	expires time.Time
}

// NewHandler wires the exchange API.
func NewHandler(cfg Config, pub Publisher, files Files, auth Authenticator, records Records, m *Metrics) *Handler {
	cfg.defaults()
	clock := cfg.Now
	if clock == nil {
		clock = time.Now
	}
	return &Handler{cfg: cfg, pub: pub, files: files, auth: auth, records: records, metrics: m,
		clock: clock, authCache: map[string]authEntry{}}
}

// Register mounts the routes under r (the /api/v1 group).
func (h *Handler) Register(r fiber.Router) {
	g := r.Group("/exchange", h.authenticate)
	g.Post("/:slug", h.post)
	g.Get("/:slug", h.list)
	g.Get("/:slug/:id", h.get)
}

const localsCompany = "company"

func (h *Handler) authenticate(c *fiber.Ctx) error {
	authz := c.Get(fiber.HeaderAuthorization)
	key, ok := strings.CutPrefix(authz, "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return chemguard.Errorf(chemguard.EUnauthorized, "缺少 API 密钥：请在 Authorization 头中使用 Bearer 密钥",
			"missing API key: send Authorization: Bearer KEY")
	}
	now := h.clock()
	h.mu.Lock()
	e, hit := h.authCache[key]
	h.mu.Unlock()
	if !hit || now.After(e.expires) {
		company, err := h.auth.Authenticate(c.UserContext(), key)
		if err != nil {
			return err
		}
		e = authEntry{company: company, expires: now.Add(h.cfg.AuthCacheTTL)}
		h.mu.Lock()
		if len(h.authCache) > 100000 {
			h.authCache = map[string]authEntry{}
		}
		h.authCache[strings.Clone(key)] = e
		h.mu.Unlock()
	}
	c.Locals(localsCompany, e.company)
	return c.Next()
}

// RecordResult is the reply for one record of a batch.
type RecordResult struct {
	Index    int                   `json:"index"`
	ID       string                `json:"id,omitempty"`
	Status   string                `json:"status"` // accepted | rejected
	Errors   []validate.FieldError `json:"errors,omitempty"`
	Warnings []validate.FieldError `json:"warnings,omitempty"`
}

// BatchReply is the reply to a POST. Position identifies the batch for
// read-your-writes: GET /exchange/{slug}/{id}?position=P answers the version of this
// batch (or a newer one), waiting for the sink if need be.
type BatchReply struct {
	Table    string         `json:"table"`
	Accepted int            `json:"accepted"`
	Rejected int            `json:"rejected"`
	Position string         `json:"position"`
	Results  []RecordResult `json:"results"`
}

func hasFiles(t *schemas.Table) bool {
	for _, f := range t.Fields {
		if f.Kind == schemas.KindFile {
			return true
		}
	}
	return false
}

func (h *Handler) post(c *fiber.Ctx) error {
	start := h.clock()
	t, err := schemas.Lookup(c.Params("slug"))
	if err != nil {
		return err
	}
	code := fiber.StatusOK
	defer func() {
		if h.metrics != nil {
			h.metrics.Requests.WithLabelValues(t.Slug, strconv.Itoa(code)).Inc()
			h.metrics.RequestSeconds.WithLabelValues(t.Slug).Observe(time.Since(start).Seconds())
		}
	}()
	reply, err := h.accept(c, t, start)
	if err != nil {
		code = web.HTTPStatus(err)
		return err
	}
	if reply.Accepted == 0 {
		code = fiber.StatusUnprocessableEntity
	}
	c.Set(HeaderPosition, reply.Position)
	return c.Status(code).JSON(reply)
}

func (h *Handler) accept(c *fiber.Ctx, t *schemas.Table, now time.Time) (*BatchReply, error) {
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if mt != fiber.MIMEApplicationJSON {
		return nil, chemguard.Errorf(chemguard.EUnsupported, "Content-Type 必须是 application/json，收到「%s」",
			"Content-Type must be application/json, got %q", c.Get(fiber.HeaderContentType))
	}
	body := c.Body()
	if err := h.cfg.checkSize(t, len(body)); err != nil {
		return nil, err
	}
	return h.Submit(c.UserContext(), t, c.Locals(localsCompany).(string), body, now)
}

// checkSize refuses a body over the table's limit (tables without files get a
// quarter of MaxBodyBytes).
func (c Config) checkSize(t *schemas.Table, n int) error {
	limit := c.MaxBodyBytes
	if !hasFiles(t) {
		limit /= 4
	}
	if n > limit {
		return &chemguard.Error{Code: chemguard.ETooLarge,
			MessageZH: fmt.Sprintf("请求体 %d 字节，超过「%s」的上限 %d 字节，请分批上传", n, t.NameZH, limit),
			MessageEN: fmt.Sprintf("the body is %d bytes, more than the %d-byte limit of %s; split the batch", n, limit, t.Slug)}
	}
	return nil
}

// Check validates body as a POST /exchange/{slug} of table t by company at now
// does before anything is published — body size, batch rules, every record's rules,
// and (when company is not empty) the COMPANY_CODE check — and returns the reply
// the API would give (without position) or its error. It needs no broker, database
// or file store: `chemguard check` runs it offline, and Submit runs it first.
func (c Config) Check(t *schemas.Table, company string, body []byte, now time.Time) (*BatchReply, []validate.Verdict, error) {
	c.defaults()
	if err := c.checkSize(t, len(body)); err != nil {
		return nil, nil, err
	}
	verdicts, err := validate.Batch(t, body, validate.Options{Now: now, MaxRecords: c.MaxRecords})
	if err != nil {
		var be *validate.BatchError
		if errors.As(err, &be) {
			code := chemguard.EMalformed
			if be.Rule == validate.RuleTooMany {
				code = chemguard.ETooLarge
			}
			return nil, nil, &chemguard.Error{Code: code, MessageZH: be.MessageZH, MessageEN: be.MessageEN, Details: be}
		}
		return nil, nil, err
	}
	if company != "" && t.HasCompanyCode() {
		for _, v := range verdicts {
			if v.OK() {
				if other := t.String(v.Record, "COMPANY_CODE"); other != company {
					return nil, nil, &chemguard.Error{Code: chemguard.EForbidden,
						MessageZH: fmt.Sprintf("第 %d 条记录的企业编码「%s」不是本企业（%s）的编码，整批拒收", v.Index, other, company),
						MessageEN: fmt.Sprintf("record %d carries company code %q, not yours (%s); the batch is refused", v.Index, other, company)}
				}
			}
		}
	}
	reply := &BatchReply{Table: t.Slug, Results: make([]RecordResult, len(verdicts))}
	for i := range verdicts {
		v := &verdicts[i]
		res := RecordResult{Index: v.Index, ID: v.ID, Errors: v.Errors, Warnings: v.Warnings, Status: "accepted"}
		if v.OK() {
			reply.Accepted++
		} else {
			res.Status = "rejected"
			reply.Rejected++
		}
		reply.Results[i] = res
	}
	return reply, verdicts, nil
}

// Submit validates body, a JSON array of table t's records, as company's upload
// received at now and publishes it exactly as POST /exchange/{slug} does: the
// same validation, file store, Kafka topics and acknowledgement, so a record made
// on the platform's side (an inspector's hidden danger) reaches the company's
// tables only through the pipeline. Errors are the API's (malformed, forbidden
// company code, unavailable broker); a reply with Accepted == 0 is not an error.
func (h *Handler) Submit(ctx context.Context, t *schemas.Table, company string, body []byte, now time.Time) (*BatchReply, error) {
	return h.SubmitFrom(ctx, t, company, "", body, now)
}

// SubmitFrom is Submit for records a system other than the company's own sent
// on its behalf: source is written into every envelope (events.SourceBase for
// the hosted base system), so rollout tracking can tell which system a company
// is connected through. Validation and everything after it are the same.
func (h *Handler) SubmitFrom(ctx context.Context, t *schemas.Table, company, source string, body []byte, now time.Time) (*BatchReply, error) {
	reply, verdicts, err := h.cfg.Check(t, company, body, now)
	if err != nil {
		return nil, err
	}
	msgs, err := h.envelopes(t, company, source, now, verdicts)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, h.cfg.PublishTimeout)
	defer cancel()
	if err := h.pub.Publish(pctx, msgs); err != nil {
		return nil, &chemguard.Error{Code: chemguard.EUnavailable,
			MessageZH: "消息队列暂时无法写入，本批记录均未接收，请稍后重试",
			MessageEN: "the message broker cannot take the write now; no record of this batch was accepted, retry later",
			Err:       err}
	}
	reply.Position = Position(now)
	if reply.Accepted > 0 {
		keys := make([]string, 0, reply.Accepted)
		for i := range verdicts {
			if verdicts[i].OK() {
				keys = append(keys, t.KeyOf(verdicts[i].Record))
			}
		}
		h.recent.add(t.Slug, company, now.Truncate(time.Microsecond), keys, h.cfg.ReadWait)
	}
	if h.metrics != nil {
		h.metrics.Records.WithLabelValues(t.Slug, "accepted").Add(float64(reply.Accepted))
		h.metrics.Records.WithLabelValues(t.Slug, "rejected").Add(float64(reply.Rejected))
		for _, r := range reply.Results {
			for _, e := range r.Errors {
				h.metrics.Rejections.WithLabelValues(t.Slug, string(e.Rule)).Inc()
			}
		}
	}
	return reply, nil
}

// envelopes turns verdicts into Kafka messages. Files of accepted records go to the
// file store first, so the message carries only their reference.
func (h *Handler) envelopes(t *schemas.Table, company, source string, now time.Time, verdicts []validate.Verdict) ([]bus.Message, error) {
	msgs := make([]bus.Message, 0, len(verdicts))
	var scratch []byte // each accepted record's JSON in turn; the envelope copies it
	var values []byte  // the envelopes, one after the other: a few allocations per batch
	for i := range verdicts {
		v := &verdicts[i]
		var value []byte
		var topic string
		var err error
		if v.OK() {
			topic = t.Topic()
			value, err = h.acceptedValue(t, company, source, now, v.Record, &scratch, &values)
		} else {
			topic = events.RejectionsTopic
			value, err = json.Marshal(events.RejectionEnvelope{MsgID: newVersionID(), Table: t.Slug, Company: company,
				ReceivedAt: now, Index: v.Index, Key: v.ID, Errors: v.Errors, Raw: evidence(v.Raw)})
		}
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, bus.Message{Topic: topic, Key: company, Value: value})
	}
	return msgs, nil
}

// acceptedValue is the envelope of an accepted record. scratch holds the record's JSON
// while the envelope is written, reused from one record to the next; the envelope is
// written at the end of values, which several envelopes share (each capped at its
// end, so nothing appended to one can reach the next).
func (h *Handler) acceptedValue(t *schemas.Table, company, source string, now time.Time, rec any, scratch, values *[]byte) ([]byte, error) {
	for _, f := range t.Files(rec) {
		if f.Data == nil {
			continue
		}
		ref, err := h.files.Put(f.Data)
		if err != nil {
			return nil, &chemguard.Error{Code: chemguard.EUnavailable, MessageZH: "文件存储暂时不可用，请稍后重试",
				MessageEN: "the file store is unavailable; retry later", Err: err}
		}
		f.Ref, f.Data = ref, nil
	}
	// The bytes json.Marshal would write (the time series' message id hashes them),
	// without its reflection.
	doc, err := t.AppendJSON((*scratch)[:0], rec)
	if err != nil {
		return nil, fmt.Errorf("ingest: encode %s record: %w", t.Slug, err)
	}
	*scratch = doc
	eventTime := t.VersionTimeOf(rec)
	env := events.Envelope{Head: events.Head{MsgID: messageID(t, company, doc, eventTime), Table: t.Slug, Company: company, Key: t.KeyOf(rec),
		Deleted: t.HasDeleted() && t.DeletedOf(rec), Version: h.versions.next(now), ReceivedAt: now}, Record: doc, Source: source}
	if !eventTime.IsZero() {
		env.EventTime = &eventTime
	}
	// A fresh chunk when this envelope would not fit: append would copy the chunk's
	// earlier envelopes into a larger array.
	if size := env.Size(); cap(*values)-len(*values) < size {
		*values = make([]byte, 0, max(envelopeChunk, size))
	}
	// doc is fresh from AppendJSON: appended as it is, not validated a second time.
	start := len(*values)
	out, err := env.Append(*values)
	if err != nil {
		return nil, err
	}
	*values = out
	return out[start:len(out):len(out)], nil
}

// envelopeChunk is the size of the arrays a batch's envelopes share: about 160
// readings' envelopes, a few 隐患's.
const envelopeChunk = 64 << 10

func (h *Handler) get(c *fiber.Ctx) error {
	t, err := schemas.Lookup(c.Params("slug"))
	if err != nil {
		return err
	}
	company, key := c.Locals(localsCompany).(string), c.Params("id")
	pos, err := h.positionOf(c, t, company, key)
	if err != nil {
		return err
	}
	cur, pending, err := h.current(c.UserContext(), t, company, key, pos)
	if pending {
		c.Set(HeaderPending, "true")
	}
	if err != nil {
		return err
	}
	doc, err := h.inlineFiles(t, cur.Doc)
	if err != nil {
		return err
	}
	c.Set("X-Chemguard-Deleted", strconv.FormatBool(cur.Deleted))
	c.Set("X-Chemguard-Updated-At", cur.UpdatedAt.Format(time.RFC3339Nano))
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(doc)
}

// inlineFiles turns stored file references back into data: URIs, so a read-back
// record has the same keys and value forms the company sent.
func (h *Handler) inlineFiles(t *schemas.Table, doc []byte) ([]byte, error) {
	if !hasFiles(t) {
		return doc, nil
	}
	rec := t.New()
	if err := json.Unmarshal(doc, rec); err != nil {
		return nil, fmt.Errorf("ingest: decode stored %s: %w", t.Slug, err)
	}
	for _, f := range t.Files(rec) {
		if f.Ref == "" {
			continue
		}
		data, err := h.files.Get(f.Ref)
		if err != nil {
			return nil, fmt.Errorf("ingest: file %s: %w", f.Ref, err)
		}
		f.Data, f.Ref = data, ""
	}
	return json.Marshal(rec)
}

// Headers of read-your-writes.
const (
	// HeaderPosition carries a POST's position (also the reply's "position").
	HeaderPosition = "X-Chemguard-Position"
	// HeaderPending says a GET by id waited ReadWait for a just-accepted version and
	// answers what is stored without it.
	HeaderPending = "X-Chemguard-Pending"
)

// ListReply is one page of a listing.
type ListReply struct {
	Records    []json.RawMessage `json:"records"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

func (h *Handler) list(c *fiber.Ctx) error {
	t, err := schemas.Lookup(c.Params("slug"))
	if err != nil {
		return err
	}
	limit, err := queryparam.Limit(c, 100)
	if err != nil {
		return err
	}
	var since time.Time
	if s := c.Query("updated_since"); s != "" {
		if since, err = parseSince(s); err != nil {
			return err
		}
	}
	var after store.Cursor
	if _, err := queryparam.Cursor(c, &after); err != nil {
		return err
	}
	rows, err := h.records.List(c.UserContext(), t, c.Locals(localsCompany).(string), since, after, limit)
	if err != nil {
		return err
	}
	reply := ListReply{Records: make([]json.RawMessage, 0, len(rows))}
	for _, r := range rows {
		doc, err := h.inlineFiles(t, r.Doc)
		if err != nil {
			return err
		}
		reply.Records = append(reply.Records, doc)
	}
	if len(rows) == limit {
		last := rows[len(rows)-1]
		reply.NextCursor = queryparam.EncodeCursor(store.Cursor{UpdatedAt: last.UpdatedAt, Key: last.Key})
	}
	return c.JSON(reply)
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(schemas.DateTimeLayout, s, schemas.Shanghai); err == nil {
		return t, nil
	}
	return time.Time{}, queryparam.Errorf("updated_since「%s」应为 yyyy-MM-dd HH:mm:ss 或 RFC 3339 时间",
		"updated_since %q must be yyyy-MM-dd HH:mm:ss or an RFC 3339 time", s)
}

// MaxBodyBytesOrDefault is the body limit the HTTP server enforces before the
// handler's per-table limit.
func (c Config) MaxBodyBytesOrDefault() int {
	c.defaults()
	return c.MaxBodyBytes
}

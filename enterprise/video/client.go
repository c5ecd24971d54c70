package video

import (
	"bytes"
	"net/http"
	"time"

	"github.com/shandong-emergency/chemguard/auth/signing"
)

// NewBoxRequest builds what an analysis box sends: a POST to IntakePrefix +
// path (/alarms, /heartbeat) on the platform at base, with the device key as
// the bearer and the three signing headers over body made with the signing
// secret at now — for vendors integrating a box, the simulator and tests.
func NewBoxRequest(base, key, secret, path, contentType string, body []byte, now time.Time) (*http.Request, error) {
	full := IntakePrefix + path
	req, err := http.NewRequest(http.MethodPost, base+full, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+key)
	if err := signing.SignRequest(req.Header, secret, http.MethodPost, full, body, now); err != nil {
		return nil, err
	}
	return req, nil
}

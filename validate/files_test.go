package validate_test

import (
	"bytes"
	"encoding/base64"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/schemas"
	"github.com/shandong-emergency/chemguard/validate"
)

// TestFixtureImagesAreReal proves the committed images decode as what they claim.
func TestFixtureImagesAreReal(t *testing.T) {
	for name, format := range map[string]string{"tiny.png": "png", "tiny.jpg": "jpeg", "tiny.gif": "gif"} {
		t.Run(name, func(t *testing.T) {
			_, got, err := image.Decode(bytes.NewReader(readTestdata(t, "files/"+name)))
			require.NoError(t, err)
			assert.Equal(t, format, got)
		})
	}
}

// TestImages checks ALARM_IMAGE of both video alarm tables: base64 or a data: URI,
// PNG/JPEG/BMP by the bytes, at most 4 MiB.
func TestImages(t *testing.T) {
	const (
		mib = 1 << 20
		img = "ALARM_IMAGE"
	)
	std := base64.StdEncoding.EncodeToString
	exact4MiB := pngOfSize(t, 4*mib)
	cases := []struct {
		name, value string
		rule        validate.Rule
		contentType string
	}{
		{"PNG base64", b64File(t, "tiny.png"), "", "image/png"},
		{"JPEG base64", b64File(t, "tiny.jpg"), "", "image/jpeg"},
		{"BMP base64", b64File(t, "tiny.bmp"), "", "image/bmp"},
		{"PNG data URI", "data:image/png;base64," + b64File(t, "tiny.png"), "", "image/png"},
		{"JPEG data URI claiming PNG: the bytes decide", "data:image/png;base64," + b64File(t, "tiny.jpg"), "", "image/jpeg"},
		{"PNG URL-safe unpadded", base64.RawURLEncoding.EncodeToString(readTestdata(t, "files/tiny.png")), "", "image/png"},
		{"exactly 4 MiB", std(exact4MiB), "", "image/png"},
		{"exactly 4 MiB, MIME line breaks", mimeWrap(std(exact4MiB)), "", "image/png"},
		{"4 MiB + 1 byte", std(pngOfSize(t, 4*mib+1)), validate.RuleFileSize, ""},
		{"5 MB", std(pngOfSize(t, 5*1000*1000)), validate.RuleFileSize, ""},
		{"5 MB data URI", "data:image/png;base64," + std(pngOfSize(t, 5*1000*1000)), validate.RuleFileSize, ""},
		{"not base64", "这不是图片", validate.RuleBase64, ""},
		{"a file path", "C:\\alarm\\20210910.png", validate.RuleBase64, ""},
		{"data URI without base64", "data:image/png,abc", validate.RuleBase64, ""},
		{"data URI of valid base64 without ;base64", "data:image/png," + b64File(t, "tiny.png"), validate.RuleBase64, ""},
		{"GIF", b64File(t, "tiny.gif"), validate.RuleFileFormat, ""},
		{"GIF data URI claiming PNG", "data:image/png;base64," + b64File(t, "tiny.gif"), validate.RuleFileFormat, ""},
		{"text named .png", b64File(t, "not-an-image.png"), validate.RuleFileFormat, ""},
		{"PDF is not an alarm image", b64File(t, "permit.pdf"), validate.RuleFileFormat, ""},
		{"blank", "", validate.RuleRequired, ""},
		{"number", "", validate.RuleType, ""},
	}
	for _, table := range []*schemas.Table{schemas.VideoAlarms, schemas.GasStationVideoAlarms} {
		t.Run(table.Slug, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					var value any = c.value
					if c.rule == validate.RuleType {
						value = 12345
					}
					v := one(t, table, mutate(fixture(t, table.Slug), fields{img: value}))
					if c.rule != "" {
						requireRejected(t, v, c.rule, img)
						return
					}
					requireAccepted(t, table, v)
					f := table.Files(v.Record)
					require.Len(t, f, 1)
					assert.Equal(t, c.contentType, f[0].ContentType)
					assert.Equal(t, int64(len(f[0].Data)), f[0].Size)
				})
			}
		})
	}
}

// TestPermitFile checks 作业票证 FILE: an image or a PDF, at most 10 MiB.
func TestPermitFile(t *testing.T) {
	std := base64.StdEncoding.EncodeToString
	runCases(t, schemas.SpecialOperations, []ruleCase{
		{"PDF", fields{"FILE": b64File(t, "permit.pdf")}, "", ""},
		{"PDF data URI", fields{"FILE": "data:application/pdf;base64," + b64File(t, "permit.pdf")}, "", ""},
		{"PNG photo of the permit", fields{"FILE": b64File(t, "tiny.png")}, "", ""},
		{"JPEG photo of the permit", fields{"FILE": b64File(t, "tiny.jpg")}, "", ""},
		{"GIF", fields{"FILE": b64File(t, "tiny.gif")}, validate.RuleFileFormat, "FILE"},
		{"Word document", fields{"FILE": std([]byte("PK\x03\x04word/document.xml"))}, validate.RuleFileFormat, "FILE"},
		{"10 MiB", fields{"FILE": std(pngOfSize(t, 10<<20))}, "", ""},
		{"10 MiB + 1", fields{"FILE": std(pngOfSize(t, 10<<20+1))}, validate.RuleFileSize, "FILE"},
		{"not base64", fields{"FILE": "作业票.pdf"}, validate.RuleBase64, "FILE"},
		{"missing", fields{"FILE": absent}, validate.RuleRequired, "FILE"},
		{"object", fields{"FILE": map[string]any{"ref": "sha256:00"}}, validate.RuleType, "FILE"},
	})
	v := one(t, schemas.SpecialOperations, fixture(t, schemas.SpecialOperations.Slug))
	requireAccepted(t, schemas.SpecialOperations, v)
	op := v.Record.(*schemas.SpecialOperation)
	assert.Equal(t, "application/pdf", op.File.ContentType)
	assert.Equal(t, readTestdata(t, "files/permit.pdf"), op.File.Data)
}

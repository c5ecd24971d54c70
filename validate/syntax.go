package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// utf8BOM is the byte-order mark Windows and .NET clients put before UTF-8 text.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// TrimBOM returns body without a leading UTF-8 byte-order mark. JSON (RFC 8259 §8.1)
// forbids sending one but lets a parser ignore it, and common Windows tooling
// (PowerShell, Notepad, .NET's UTF8Encoding(true)) writes it, so every JSON route
// accepts it rather than refusing an otherwise valid body.
func TrimBOM(body []byte) []byte {
	return bytes.TrimPrefix(body, utf8BOM)
}

// DecodeJSON is encoding/json's Unmarshal after TrimBOM: the decoder the HTTP layer
// gives every JSON route that reads a body into a struct.
func DecodeJSON(data []byte, v any) error {
	return json.Unmarshal(TrimBOM(data), v)
}

// Position locates a syntax error in a body: Offset counts bytes from the start of
// the body as received (a BOM included), Line and Column count from 1, Column in
// characters, so an editor's "go to line:column" lands on the offending character.
type Position struct {
	Offset int `json:"offset"`
	Line   int `json:"line"`
	Column int `json:"column"`
}

// malformed builds the batch error for a body that is not JSON. The position comes
// from encoding/json's SyntaxError, which names the byte where parsing stopped; the
// fast parser that reads batches does not expose one. The Chinese message is written
// out from the error's kind, never the parser's English text, which stays in
// MessageEN for the integrator who wants it.
func malformed(body []byte, skipped int, parseErr error) *BatchError {
	var se *json.SyntaxError
	if err := json.Unmarshal(body, new(json.RawMessage)); !errors.As(err, &se) {
		// encoding/json accepts what the fast parser refused (deeper nesting than it
		// allows, for one): no position to give.
		return &BatchError{Rule: RuleMalformed,
			MessageZH: "请求体不是合法的 JSON，无法解析",
			MessageEN: "the body is not valid JSON: " + parseErr.Error()}
	}
	atEnd := strings.HasPrefix(se.Error(), "unexpected end")
	pos := position(body, int(se.Offset), atEnd)
	pos.Offset += skipped
	what := syntaxZH(se.Error(), atEnd)
	return &BatchError{Rule: RuleMalformed, Position: &pos,
		MessageZH: fmt.Sprintf("请求体不是合法的 JSON：第 %d 行第 %d 列（第 %d 字节）%s", pos.Line, pos.Column, pos.Offset, what),
		MessageEN: fmt.Sprintf("the body is not valid JSON: line %d, column %d (byte offset %d): %s", pos.Line, pos.Column, pos.Offset, se.Error())}
}

// position turns the byte count encoding/json read before failing into the place of
// the offending character: the byte at offset-1, or the end of a truncated body.
func position(body []byte, offset int, atEnd bool) Position {
	at := min(max(offset-1, 0), len(body))
	if atEnd {
		at = len(body)
	}
	line, start := 1, 0
	for i := 0; i < at; i++ {
		if body[i] == '\n' {
			line, start = line+1, i+1
		}
	}
	return Position{Offset: at, Line: line, Column: utf8.RuneCount(body[start:at]) + 1}
}

// syntaxZH says in Chinese what encoding/json's message says in English.
func syntaxZH(msg string, atEnd bool) string {
	if atEnd {
		return "处 JSON 意外结束：请求体可能被截断，或缺少 ]、} 或 \""
	}
	if ch, ok := strings.CutPrefix(msg, "invalid character "); ok {
		quoted, rest, _ := strings.Cut(ch[1:], "' ")
		quoted = strings.TrimSuffix(quoted, "'")
		where := ""
		for _, c := range syntaxContexts {
			if strings.Contains(rest, c.en) {
				where = c.zh
				break
			}
		}
		return "处有非法字符" + quotedZH(quoted) + where
	}
	return "处有语法错误"
}

// syntaxContexts are encoding/json's "invalid character" contexts, most specific
// first, and what each means for the writer of the body.
var syntaxContexts = []struct{ en, zh string }{
	{"after object key:value pair", "（对象的键值对之后应为 , 或 }）"},
	{"after object key", "（对象的键之后应为 :）"},
	{"after array element", "（数组元素之后应为 , 或 ]）"},
	{"looking for beginning of object key string", "（此处应为带双引号的键名）"},
	{"looking for beginning of value", "（此处应为一个值）"},
	{"after top-level value", "（完整的 JSON 值之后不应再有内容）"},
	{"in string literal", "（字符串中不能含未转义的控制字符）"},
	{"in string escape code", "（字符串中的转义序列无效）"},
	{"in numeric literal", "（数字格式无效）"},
	{"in literal", "（应为 true、false 或 null）"},
}

func quotedZH(q string) string {
	if q == "" {
		return "「'」"
	}
	return "「" + q + "」"
}

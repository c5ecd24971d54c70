// Package pdffont loads the Chinese font the base system's PDFs are written
// with. Debian's fonts-wqy-microhei ships WenQuanYi Micro Hei as a TrueType
// collection (.ttc) while the PDF library reads single TrueType files, so the
// first font of a collection is rewritten as a stand-alone TrueType file.
package pdffont

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"github.com/shandong-emergency/chemguard"
)

var (
	mu    sync.Mutex
	cache = map[string][]byte{}
)

// Load returns the TrueType bytes of the font at path (a .ttf, or the first
// font of a .ttc), cached. A missing or unreadable font is an EUnavailable
// error naming the path and the Debian package that provides it; what names
// the document that could not be made (e.g. "作业票 PDF").
func Load(path, what, whatEN string) ([]byte, error) {
	mu.Lock()
	defer mu.Unlock()
	if b, ok := cache[path]; ok {
		return b, nil
	}
	raw, err := os.ReadFile(path)
	if err == nil {
		raw, err = firstFontOf(raw)
	}
	if err != nil {
		return nil, &chemguard.Error{Code: chemguard.EUnavailable,
			MessageZH: "服务器缺少中文字体（" + path + "，Debian 软件包 fonts-wqy-microhei），无法生成" + what,
			MessageEN: "the server lacks the Chinese font " + path + " (Debian package fonts-wqy-microhei); cannot make the " + whatEN,
			Err:       err}
	}
	cache[path] = raw
	return raw, nil
}

// firstFontOf returns a TrueType file: raw itself, or the first font of a
// TrueType collection with its tables copied after a new table directory.
func firstFontOf(raw []byte) ([]byte, error) {
	if len(raw) < 12 {
		return nil, fmt.Errorf("font too short")
	}
	if string(raw[:4]) != "ttcf" {
		return raw, nil
	}
	be := binary.BigEndian
	if be.Uint32(raw[8:12]) == 0 || len(raw) < 16 {
		return nil, fmt.Errorf("empty font collection")
	}
	off := int(be.Uint32(raw[12:16]))
	if off+12 > len(raw) {
		return nil, fmt.Errorf("font collection offset out of range")
	}
	n := int(be.Uint16(raw[off+4 : off+6]))
	if off+12+16*n > len(raw) {
		return nil, fmt.Errorf("font table directory out of range")
	}
	head := 12 + 16*n
	var out bytes.Buffer
	out.Write(raw[off : off+12])
	dir := make([]byte, 16*n)
	var body bytes.Buffer
	for i := 0; i < n; i++ {
		rec := raw[off+12+16*i : off+12+16*(i+1)]
		tOff, tLen := int(be.Uint32(rec[8:12])), int(be.Uint32(rec[12:16]))
		if tOff+tLen > len(raw) {
			return nil, fmt.Errorf("font table %q out of range", rec[:4])
		}
		copy(dir[16*i:], rec[:8])
		be.PutUint32(dir[16*i+8:], uint32(head+body.Len()))
		be.PutUint32(dir[16*i+12:], uint32(tLen))
		body.Write(raw[tOff : tOff+tLen])
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	out.Write(dir)
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

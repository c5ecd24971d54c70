package enterprise

import "github.com/shandong-emergency/chemguard"

// The errors the modules' services refuse a member's request with, worded
// alike in every module (one constructor each, not one copy per module).

// NotFound is a missing record: what in Chinese and English, e.g. ("作业票", "permit").
func NotFound(zh, en string) error {
	return &chemguard.Error{Code: chemguard.ENotFound, MessageZH: zh + "不存在", MessageEN: en + " not found"}
}

// Forbidden is a member refused by role or by state.
func Forbidden(zh, en string) error {
	return &chemguard.Error{Code: chemguard.EForbidden, MessageZH: zh, MessageEN: en}
}

// Invalid is a bad value of a form field; the Chinese message names the field.
func Invalid(field, zh, en string) error {
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: field + "：" + zh, MessageEN: en}
}

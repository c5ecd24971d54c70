module github.com/shandong-emergency/chemguard

go 1.26.8

require github.com/valyala/fastjson v1.6.10

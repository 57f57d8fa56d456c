#!/usr/bin/env python3
"""Generates a question bank of N valid single-choice questions (TOML, pufa's format), spread
over the seven 编 of the Civil Code, for bench/growth.sh. Not legal content: load tests only.

    make_bank.py N OUT.toml
"""
import sys

n, path = int(sys.argv[1]), sys.argv[2]
books = ["总则编", "物权编", "合同编", "人格权编", "婚姻家庭编", "继承编", "侵权责任编"]
with open(path, "w", encoding="utf-8") as f:
    f.write('[bank]\nkey = "growth"\ntitle = "压力测试题库"\n\n')
    for i in range(n):
        f.write(
            f'[[questions]]\nkey = "g{i:06d}"\nkind = "single"\ncategory = "{books[i % 7]}"\n'
            f'difficulty = {1 + i % 3}\nstem = "压力测试题 {i}：下列哪一项是本题的正确选项？"\n'
            f'options = ["选项甲 {i}", "选项乙 {i}", "选项丙 {i}", "选项丁 {i}"]\nanswer = "A"\n'
            f'explanation = "压力测试题，仅用于性能测量。"\nbasis = ["民法典第{1 + i % 1260}条"]\n\n'
        )

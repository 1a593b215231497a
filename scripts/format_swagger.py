#!/usr/bin/env python3
"""Rewrites an OpenAPI JSON document in the project's layout: objects and arrays that fit in 100
columns stay on one line, others get one member per line, indented by two spaces.

  format_swagger.py IN OUT
"""
import json, sys, collections
def compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(', ', ': '))
def fmt(v, ind=0):
    c = compact(v)
    if not isinstance(v, (dict, list)) or len(c) + ind <= 100:
        return c
    pad = '  ' * (ind // 2 + 1)
    if isinstance(v, dict):
        items = [pad + json.dumps(k, ensure_ascii=False) + ': ' + fmt(x, len(pad)) for k, x in v.items()]
        return '{\n' + ',\n'.join(items) + '\n' + '  ' * (ind // 2) + '}'
    items = [pad + fmt(x, len(pad)) for x in v]
    return '[\n' + ',\n'.join(items) + '\n' + '  ' * (ind // 2) + ']'
d = json.load(open(sys.argv[1]), object_pairs_hook=collections.OrderedDict)
open(sys.argv[2], 'w').write(fmt(d) + '\n')

#!/usr/bin/env python3
# make-seeds.py — writes the seed corpora of tests/fuzz/corpus/<target>/
# from hand-made lines and the fixtures in tests/data (never from real
# episodes). Run from anywhere; rewrites the seed files it names.
# SPDX-License-Identifier: Apache-2.0
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'data')
CORPUS = os.path.join(HERE, 'corpus')

EP_HDR = ('episode_id,patient_id,hospital_id,hospital_level,county_id,'
          'insurance_type,insured_region,sex,age_years,age_days,birth_weight_g,'
          'admit_date,discharge_date,los_days,dept,discharge_status,icu_hours,'
          'diagnoses,procedures,total_cost,out_of_catalogue_cost,patient_copay,'
          'fund_paid_ffs,per_diem_category')
OD_HDR = ('Index,gender,age,ageDay,weight,dept,inHospitalTime,leavingType,'
          'zdList,ssList,icuHours,amount')


def good(i='E1', dx='B1|M1', px='P1', sex='1', age='45', days='', wt=''):
    return (f'{i},P1,H1,3,430102,employee,local,{sex},{age},{days},{wt},'
            f'2024-03-01,2024-03-05,4,0304,1,0,{dx},{px},'
            f'1000.00,10.00,200.00,700.00,')


EP_LINES = [
    good(),
    good('E2', 'B2|C1|T1', 'P1|P2|X', '2', '0', '28', '2500'),
    good('E3', 'T1|T3', '', '1', '17'),
    '"E4",P1,H1,2,430121,resident,local,2,34,,,2024-06-10,2024-06-14,4,"05,02",'
    '1,0,"O80.000|Z37.000","73.5901",5210.33,0.00,1460.10,3750.23,rehab',
    'E5,P1,H1,3,430102,employee,other_province,1,0,3,999,2024-02-28,2024-02-29,'
    '1,ICU,5,30,B1,P9,0.00,0.00,0.00,0.00,psych',
    '\ufeff' + good('E6'),
    good('E7') + '\xff',
    good('E8').replace('0304', '03\t04'),
    'E9,,H1,3,430102,employee,local,1,58,,,2024-05-02,2024-05-09,7,0304,1,0,,,',
]
OD_LINES = [
    '1,1,45,,,0304,3,1,B1|M1,P1,0,1000',
    '2,2,0.0,28,2500.0,ICU,5,5,"B2,C1",P1|P2,96,',
    '3, 1 ,\u3000 12\u3000,,,,,,T1||T3,,,',
    '4,\u7537,abc,-5,0.5,,-1,7,A 1||,|,,',
    ' ,1,45,,,0304,3,1,A01,,,',
]


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def text(lines, crlf=False):
    return ('\r\n' if crlf else '\n').join(lines).encode() + b'\n'


def episode_line():
    t = 'fuzz-episode-line'
    write(t, 'ep-lines', b'\x00' + text(EP_LINES))
    write(t, 'od-lines', b'\x01' + text(OD_LINES))
    write(t, 'ep-header', b'\x02' + text([EP_HDR] + EP_LINES[:3]))
    write(t, 'od-header', b'\x03' + text([OD_HDR] + OD_LINES))
    write(t, 'od-header-reordered', b'\x03' + text(
        ['amount,zdList,Index,gender,age,ageDay,weight,dept,inHospitalTime,'
         'leavingType,ssList,extra', '12,B1,7,1,45,,,0304,3,1,P1,x']))
    write(t, 'ep-reader', b'\x04' + text(['\ufeff' + EP_HDR] + EP_LINES + [''] + EP_LINES[:2], True))
    write(t, 'od-reader', b'\x05' + text([OD_HDR] + OD_LINES, True)[:-2])
    with open(os.path.join(DATA, 'episodes', 'adversarial.csv'), 'rb') as f:
        write(t, 'ep-adversarial', b'\x04' + f.read())
    # mode 3: a long line of X after line 1 (byte 1 says how long)
    write(t, 'ep-read-boundary', b'\x06\x05' + text([EP_HDR] + EP_LINES, True))
    write(t, 'ep-long-line', b'\x06\xa0' + text([EP_HDR] + EP_LINES[:3]))
    write(t, 'od-read-boundary', b'\x07\x11' + text([OD_HDR] + OD_LINES))


def pipeline():
    t = 'fuzz-pipeline'
    write(t, 'ep-small', b'\x00' + text([EP_HDR] + EP_LINES))
    write(t, 'od-small', b'\x01' + text([OD_HDR] + OD_LINES))
    many = [good(f'E{i}', 'B1|M1' if i % 3 else 'T1|T2', 'P1' if i % 2 else '')
            for i in range(60)] + [good('E7'), '', good('E5')]
    write(t, 'ep-chunks', b'\x06' + text([EP_HDR] + many, True))
    od = [f'{i},{1 + i % 2},{i % 90},,,0304,{i % 30},1,B{i % 3}|M1,P{i % 4}'
          f',0,100' for i in range(150)]
    write(t, 'od-chunks', b'\x0f' + text([OD_HDR] + od))
    with open(os.path.join(DATA, 'episodes', 'adversarial.csv'), 'rb') as f:
        write(t, 'ep-adversarial', b'\x02' + f.read())


STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def c_string(lit):
    """The bytes of a C string literal body (the escapes we use)."""
    out = bytearray()
    i = 0
    b = lit.encode()
    while i < len(b):
        if b[i] == 0x5C:  # backslash
            c = chr(b[i + 1])
            if c == 'x':
                j = i + 2
                while j < len(b) and chr(b[j]) in '0123456789abcdefABCDEF':
                    j += 1
                out.append(int(b[i + 2:j], 16))
                i = j
                continue
            out += {'n': b'\n', 't': b'\t', '"': b'"', '\\': b'\\'}[c]
            i += 2
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def condition():
    t = 'fuzz-condition'
    src = open(os.path.join(HERE, '..', 'test-cond.c')).read()
    body = src[src.index('eval_cases[] = {'):src.index('};', src.index('eval_cases[] = {'))]
    n = 0
    for row in re.findall(r'\{ ("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*"), '
                          r'("(?:[^"\\]|\\.)*"), -?\d+ \}', body):
        cond, ep = (c_string(x[1:-1]) for x in row[1:])
        write(t, f'eval-{n:02d}', cond + b'\n' + ep)
        n += 1
    scheme = os.path.join(DATA, 'schemes', 'mini-v2')
    for name in ('mdc.tsv', 'adrg_rules.tsv', 'drg_splits.tsv', 'checks.tsv'):
        lines = open(os.path.join(scheme, name), 'rb').read().split(b'\n')
        col = lines[0].split(b'\t').index(b'condition')
        for k, line in enumerate(lines[1:]):
            if line:
                write(t, f'{name[:-4]}-{k}', line.split(b'\t')[col]
                      + b'\nsex=1 age=45 dx=B1|M1|C2 px=P1|P3')


def table_seeds(target, i, name, data):
    """The table as it is, and two variants that fail in their own way
    (every unchanged table loads the same scheme: libFuzzer would keep
    only one of them)."""
    lines = data.split(b'\n')
    write(target, name, bytes([i]) + data)
    write(target, name + '-header-only', bytes([i]) + lines[0] + b'\n')
    if len(lines) > 2:
        write(target, name + '-row-twice', bytes([i]) + b'\n'.join(
            lines[:2] + lines[1:]))


def drg_tables():
    t = 'fuzz-drg-tables'
    scheme = os.path.join(DATA, 'schemes', 'mini-v2')
    names = sorted(n for n in os.listdir(scheme) if n.endswith('.tsv'))
    for i, name in enumerate(names):
        table_seeds(t, i, name, open(os.path.join(scheme, name), 'rb').read())


def dip_tables():
    t = 'fuzz-dip-tables'
    src = open(os.path.join(HERE, 'fuzz-dip-tiny.h')).read()
    header = b''.join(c_string(x) for x in STR.findall(
        src[src.index('#define GROUPS_HEADER'):src.index('/* tests/test-dip.c')]))
    names = [c_string(x).decode() for x in STR.findall(
        src[src.index('names[] = {'):src.index('};', src.index('names[] = {'))])]
    block = src[src.index('texts[] = {') + 11:src.index('};', src.index('texts[] = {'))]
    for i, entry in enumerate(block.split(',\n\n')):
        data = b''.join(header if part == 'GROUPS_HEADER' else c_string(part[1:-1])
                        for part in re.findall(r'GROUPS_HEADER|"(?:[^"\\]|\\.)*"', entry))
        table_seeds(t, i, names[i], data)


def policy():
    """The test and shipped packs' XML, pointed at fuzz-policy.c's pack:
    DIP packs use its schemes-dip.tsv and the tiny DIP scheme."""
    t = 'fuzz-policy'
    tables = os.path.join(HERE, '..', '..', 'tables', 'policy')
    packs = [('drg-test', os.path.join(DATA, 'pay', 'drg-test')),
             ('dip-test', os.path.join(DATA, 'pay', 'dip-test')),
             ('zhuzhou', os.path.join(tables, 'zhuzhou')),
             ('yiyang', os.path.join(tables, 'yiyang'))]
    for name, d in packs:
        path = os.path.join(d, 'policy.xml')
        if not os.path.exists(path):
            continue
        xml = open(path, 'rb').read()
        if b'<dip' in xml:
            xml = xml.replace(b'href="schemes.tsv"', b'href="schemes-dip.tsv"')
            xml = xml.replace(b'dip-cn-national-3.0', b'dip-tiny')
        write(t, name, xml)


def main():
    episode_line()
    pipeline()
    condition()
    drg_tables()
    dip_tables()
    policy()


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# make-fixtures.py — writes the small hand-made workbooks of this folder.
# SPDX-License-Identifier: Apache-2.0
#
# The XML is written by hand here (not by casemix), so the reader is tested
# against parts it did not produce: inline strings, rich-text and phonetic
# runs, numbers, cells without an r attribute, absolute relationship
# targets, a title row above the header, _x000D_ escapes. Run it from this
# folder after changing it; the .xlsx files are committed.
import zipfile

NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'


def esc(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def col(i):
    s = ''
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def sheet_xml(rows, sst, style):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="%s"><sheetData>' % NS]
    for r, row in enumerate(rows, 1):
        out.append('<row r="%d">' % r)
        for c, v in enumerate(row):
            if v is None or v == '':
                continue
            ref = '' if style == 'noref' and c > 0 else ' r="%s%d"' % (col(c), r)
            if isinstance(v, (int, float)):
                out.append('<c%s><v>%s</v></c>' % (ref, v))
            elif style == 'inline':
                out.append('<c%s t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>' % (ref, esc(v)))
            else:
                if v not in sst:
                    sst.append(v)
                out.append('<c%s t="s"><v>%d</v></c>' % (ref, sst.index(v)))
        out.append('</row>')
    out.append('</sheetData></worksheet>')
    return ''.join(out)


def write(path, sheets, style='shared', rich=False):
    sst = []
    z = zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED)
    z.writestr('[Content_Types].xml',
               '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/></Types>')
    z.writestr('_rels/.rels',
               '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="r1" Type="%s/officeDocument" Target="/xl/workbook.xml"/></Relationships>' % REL)
    wb = ['<?xml version="1.0"?><workbook xmlns="%s" xmlns:r="%s"><sheets>' % (NS, REL)]
    rels = ['<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">']
    # parts are numbered in reverse so that part names do not follow sheet order
    for i, (name, rows) in enumerate(sheets):
        n = len(sheets) - i
        wb.append('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (esc(name), i + 1, i + 1))
        rels.append('<Relationship Id="rId%d" Type="%s/worksheet" Target="worksheets/part%d.xml"/>' % (i + 1, REL, n))
        z.writestr('xl/worksheets/part%d.xml' % n, sheet_xml(rows, sst, style))
    wb.append('</sheets></workbook>')
    rels.append('<Relationship Id="rS" Type="%s/sharedStrings" Target="/xl/strings.xml"/></Relationships>' % REL)
    z.writestr('xl/workbook.xml', ''.join(wb))
    z.writestr('xl/_rels/workbook.xml.rels', ''.join(rels))
    si = []
    for s in sst:
        if rich and len(s) > 3 and s.isascii():
            # the same text as two runs, with a phonetic guide that is not cell text
            si.append('<si><r><rPr><b/></rPr><t>%s</t></r><r><t>%s</t></r><rPh sb="0" eb="1"><t>PHON</t></rPh></si>'
                      % (esc(s[:2]), esc(s[2:]).replace('\r', '_x000D_')))
        else:
            si.append('<si><t xml:space="preserve">%s</t></si>' % esc(s).replace('\r', '_x000D_'))
    z.writestr('xl/strings.xml', '<?xml version="1.0"?><sst xmlns="%s" count="%d" uniqueCount="%d">%s</sst>'
               % (NS, len(sst), len(sst), ''.join(si)))
    z.close()


def mini(**over):
    """A tiny scheme in the official layout: two MDCs, five ADRG rows."""
    mdc = [['MDC编码', 'MDC名称', '入组规则', '排序'],
           ['MDCA', '先期分组', '', 1],
           ['MDCB', '神经系统', 'ZYZD in DI_B00', 2]]
    adrg = [['序号', 'ADRG编码', 'ADRG名称', '入组规则', '所属MDC', '排序'],
            [1, 'AA1', '移植', 'ZYSS in OP_AA1', 'MDCA', 1],
            [2, 'BB1', '颅脑手术', '(ZYZD in DI_BB1)\r\nand (ZYSS in OP_BB1)', 'MDCB', 1],
            [3, 'BQY', '', 'ZYSS in OP_ALL', 'MDCB', 2],
            [4, 'BR1', '脑卒中', 'ZYZD in DI_BR1', 'MDCB', 3],
            [5, 'B00', '', '', 'MDCB', 4]]
    drg = [['DRG编码', 'DRG名称', '入组规则', '所属ADRG', '所属MDC', '排序'],
           ['AA19', '移植', '', 'AA1', 'MDCA', 1],
           ['BB11', '颅脑手术，伴严重合并症', 'QTZD in MCC', 'BB1', 'MDCB', 1],
           ['BB15', '颅脑手术，不伴严重合并症', '', 'BB1', 'MDCB', 2],
           ['BQY', '', '', 'BQY', 'MDCB', 1],
           ['BR1F', '脑卒中，伴合并症，大于等于70岁', 'QTZD in {MCC, CC} AND NL>=70', 'BR1', 'MDCB', 1],
           ['BR13', '脑卒中，伴合并症', 'QTZD in {MCC, CC}', 'BR1', 'MDCB', 2],
           ['BR15', '脑卒中，不伴合并症', '', 'BR1', 'MDCB', 3],
           ['B000', '', '', 'B00', 'MDCB', 1]]
    sets = [['集合', '编码'],
            ['DI_B00', 'I63.900'], ['DI_B00', 'S06.000'], ['DI_B00', 'I63.900'],
            ['DI_BB1', 'S06.000'], ['DI_BR1', 'I63.900'],
            ['OP_AA1', '33.5000'], ['OP_BB1', '01.2400'], ['OP_ALL', '01.2400'], ['OP_ALL', '33.5000'],
            ['OP_ALL', '86.2200']]
    cc = [['诊断编码', '诊断名称', '排除表', '类型'],
          ['J96.000', '急性呼吸衰竭', 'EX_1', 'MCC'],
          ['I10.x00', '高血压', '无', 'CC'],
          ['I63.800', '脑梗死', 'EX_2', 'CC']]
    excl = [['排除表', '主要诊断编码'], ['EX_2', 'I63.900'], ['EX_1', 'J96.100']]
    sheets = dict(MDC=mdc, ADRG=adrg, DRG=drg, 集合=sets, CC=cc, 排除表=excl)
    for k, v in over.items():
        k = {'SETS': '集合', 'EXCL': '排除表'}.get(k, k)
        if v is None:
            del sheets[k]
        else:
            sheets[k] = v(sheets[k])
    return list(sheets.items())


def cell(sheet, r, c, v):
    def f(rows):
        rows = [list(x) for x in rows]
        rows[r - 1][c] = v
        return rows
    return {sheet: f}


write('mini.xlsx', mini(), rich=True)
# no recognisable header: a title row, then the 2026-09-09 column positions
positional = [(n, [['国家医保局 DRG 3.0 配置：' + n]] + rows[1:]) for n, rows in mini()]
write('mini-positional.xlsx', positional, style='inline')
write('err-formula.xlsx', mini(**cell('DRG', 6, 2, 'QTZD in {MCC, CC} and and NL>=70')))
write('err-unknown-set.xlsx', mini(**cell('ADRG', 5, 3, 'ZYZD in DI_BR9')))
write('err-missing-sheet.xlsx', mini(EXCL=None))
write('err-number-code.xlsx', mini(**cell('SETS', 6, 1, 33.5)))
write('err-bad-mdc.xlsx', mini(**cell('ADRG', 5, 4, 'MDCQ')))
write('err-cc-type.xlsx', mini(**cell('CC', 3, 3, 'XX')))
write('err-unknown-variable.xlsx', mini(**cell('MDC', 3, 2, 'ZYZX in DI_B00')))
write('err-duplicate-drg.xlsx', mini(**cell('DRG', 8, 0, 'BR13')))
with open('err-not-zip.xlsx', 'w') as f:
    f.write('episode_id,sex\nE1,1\n')

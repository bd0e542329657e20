"""Chinese reference tables: pinyin, traditional forms, homophones, surnames and given names,
cities and districts, streets and buildings, mobile prefixes, phone and date formats."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .core import Rng, Weighted, _pair_list, _pairs, luhn_free_digits, zipf

# =============================================================================================
# Chinese reference tables
# =============================================================================================


def _parse_py(s: str) -> dict[str, str]:
    return {h: p for h, p in re.findall(r"([\u4e00-\u9fff]+)([a-zü]+)", s)}


# pinyin of every character the Chinese flavours put into names, brands, streets
PY = _parse_py(
    """
王wang 李li 张zhang 刘liu 陈chen 杨yang 黄huang 赵zhao 吴wu 周zhou 徐xu 孙sun 马ma 朱zhu 胡hu
郭guo 何he 高gao 林lin 罗luo 郑zheng 梁liang 谢xie 宋song 唐tang 许xu 韩han 冯feng 邓deng 曹cao
彭peng 曾zeng 肖xiao 田tian 董dong 袁yuan 潘pan 于yu 蒋jiang 蔡cai 余yu 杜du 叶ye 程cheng 苏su
魏wei 吕lü 丁ding 任ren 沈shen 姚yao 卢lu 姜jiang 崔cui 钟zhong 谭tan 陆lu 汪wang 范fan 金jin
石shi 廖liao 贾jia 夏xia 韦wei 付fu 方fang 白bai 邹zou 孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin
薛xue 闫yan 段duan 雷lei 侯hou 龙long 史shi 陶tao 黎li 贺he 顾gu 毛mao 郝hao 龚gong 邵shao 万wan
钱qian 严yan 武wu 戴dai 莫mo 孔kong 汤tang 欧阳ouyang 司马sima 上官shangguan
伟wei 芳fang 娜na 敏min 静jing 丽li 强qiang 磊lei 军jun 洋yang 勇yong 艳yan 杰jie 娟juan 涛tao
明ming 超chao 秀xiu 英ying 霞xia 平ping 刚gang 桂gui 华hua 玉yu 兰lan 红hong 建jian 国guo 文wen
辉hui 鹏peng 飞fei 波bo 斌bin 宇yu 浩hao 凯kai 健jian 俊jun 帆fan 帅shuai 旭xu 宁ning 欣xin
婷ting 雪xue 琳lin 晶jing 丹dan 玲ling 萍ping 燕yan 慧hui 莉li 倩qian 颖ying 洁jie 佳jia 梅mei
琴qin 云yun 莹ying 鑫xin 博bo 亮liang 成cheng 东dong 海hai 峰feng 晨chen 阳yang 昊hao 然ran
子zi 涵han 轩xuan 梓zi 睿rui 萱xuan 怡yi 思si 雨yu 嘉jia 诗shi 晓xiao 小xiao 志zhi 永yong 春chun
德de 荣rong 振zhen 家jia 立li 新xin 正zheng 庆qing 少shao 学xue 光guang 天tian 一yi 泽ze 宏hong
彬bin 瑞rui 岩yan 毅yi 琦qi 璐lu 蕾lei 薇wei 媛yuan 露lu 瑶yao 彤tong 悦yue 姗shan 娇jiao 婉wan
馨xin 鸿hong 栋dong 凡fan 锋feng 凤feng 航hang 豪hao 民min 鸣ming 淑shu 雅ya 梦meng 美mei
瑛ying 芬fen 霖lin 楠nan 翔xiang 俊jun 坤kun
达da 信xin 通tong 恒heng 泰tai 盛sheng 创chuang 联lian 诚cheng 智zhi 源yuan 利li 丰feng 汇hui
和he 安an 康kang 远yuan 中zhong 星xing 辰chen 腾teng 益yi 普pu 润run 云yun 捷jie 迅xun 讯xun
力li 兴xing 昌chang 隆long 锐rui 盈ying 优you 易yi 合he 晟sheng 铭ming 奥ao 邦bang 诺nuo 威wei
宝bao 亿yi 众zhong 启qi 祥xiang 维wei 拓tuo 环huan 越yue 卓zhuo 麒qi 麟lin 骏jun 科ke 数shu
人ren 解jie 设she 胜sheng 延yan 技ji 业ye 工gong 院yuan 化hua 年nian 河he 滨bin 风feng 朝chao
福fu 结jie 友you 谊yi 迎ying 宾bin 融rong 高gao 软ruan 件jian 府fu 世shi 纪ji 团tuan 长chang
"""
)

# simplified -> traditional for every character we might render traditionally
_TRAD_PAIRS = """
伟偉 丽麗 强強 军軍 艳艷 杰傑 涛濤 刚剛 华華 兰蘭 红紅 国國 辉輝 鹏鵬 飞飛 凯凱 帅帥 宁寧 龙龍
颖穎 洁潔 云雲 莹瑩 东東 阳陽 轩軒 诗詩 晓曉 荣榮 庆慶 学學 泽澤 瑶瑤 悦悅 娇嬌 鸿鴻 栋棟 锋鋒
凤鳳 鸣鳴 静靜 张張 刘劉 陈陳 杨楊 黄黃 赵趙 吴吳 孙孫 马馬 罗羅 郑鄭 谢謝 韩韓 冯馮 邓鄧 许許
肖蕭 蒋蔣 叶葉 苏蘇 吕呂 卢盧 钟鍾 谭譚 陆陸 贾賈 韦韋 邹鄒 闫閆 贺賀 顾顧 龚龔 万萬 钱錢 严嚴
汤湯 欧歐 达達 创創 联聯 汇匯 丰豐 远遠 腾騰 润潤 讯訊 兴興 锐銳 优優 铭銘 诺諾 宝寶 亿億 众眾
启啟 维維 环環 骏駿 网網 络絡 术術 电電 贸貿 业業 发發 医醫 药藥 机機 设設 备備 际際 车車 银銀
务務 询詢 广廣 传傳 筑築 运運 输輸 软軟 数數 据據 气氣 农農 产產 开開 区區 县縣 镇鎮 园園 场場
长長 连連 汉漢 门門 关關 头頭 岛島 义義 顺順 岗崗 湾灣 滨濱 楼樓 层層 厦廈 号號 单單 庄莊 厂廠
鲁魯 闽閩 粤粵 总總 经經 责責 团團 处處 锡錫 沈瀋 济濟 陕陝 辽遼 贵貴 们們 计計 统統 营營 销銷
购購 财財 监監 项項 级級 专專 员員 师師 划劃 宾賓 谊誼 纪紀 结結 胜勝 迅迅 丽麗 梦夢 凤鳳 乐樂
爱愛 亚亞 种種 饰飾 装裝 顿頓 为為 讯訊 兴興 韵韻 纳納 馆館 桥橋 礼禮 实實 链鏈 际際 报報
"""
TRAD: dict[str, str] = {}
for _tok in _TRAD_PAIRS.split():
    if len(_tok) == 2 and _tok[0] != _tok[1]:
        TRAD[_tok[0]] = _tok[1]


def to_trad(s: str) -> str:
    return "".join(TRAD.get(c, c) for c in s)


# homophones (what a call-centre agent types after hearing a name) - pinyin-identical or near
#: homophones (what a call-centre agent types after hearing a name): char -> candidates
HOMO: dict[str, str] = _pairs(
    "伟:玮炜威维 丽:莉立力俐利 娜:纳那 敏:民闽珉 静:晶婧靖菁敬 杰:洁捷婕 军:君均钧 勇:永涌咏 "
    "涛:韬滔 明:铭鸣名 超:潮朝 华:桦骅化 芳:方舫 艳:燕颜雁 强:墙蔷 磊:蕾垒 洋:阳扬杨 平:萍苹屏 "
    "刚:钢纲岗 辉:晖慧徽 鹏:朋蓬 飞:菲非 波:博柏 斌:彬滨宾 宇:雨语羽 浩:昊皓豪 凯:楷恺铠 健:建剑 "
    "俊:君骏峻 帆:凡繁 旭:煦序 宁:凝柠 龙:隆珑 林:琳凌 欣:馨新心鑫 婷:亭庭 琳:林玲霖 玲:琳灵铃 "
    "萍:平苹 燕:艳雁彦 慧:惠辉蕙 莉:丽俐 倩:茜芊 颖:莹影 洁:杰婕 佳:家嘉 梅:玫媚 琴:勤芹 云:芸韵筠 "
    "莹:颖盈 鑫:欣馨新 成:诚程承 东:冬栋 峰:锋丰枫 晨:辰琛 阳:洋扬 秀:绣琇 英:瑛莺 霞:侠 兰:岚蓝 "
    "红:虹鸿宏 建:健剑 文:雯闻 晓:筱小 小:晓筱 志:智治 涵:含晗寒 轩:萱宣 萱:轩璇 怡:宜仪依 思:斯丝 "
    "雨:宇语 嘉:佳家 子:梓紫 梓:子紫 睿:瑞锐 瑞:睿锐 张:章 李:黎理 王:汪 刘:柳留 陈:程晨 杨:阳 "
    "黄:王皇 赵:照 吴:武伍 周:邹 徐:许 何:贺 郑:正 谢:解 冯:封 许:徐 曾:增 肖:萧 于:余俞 余:于俞 "
    "蒋:姜江 姜:蒋江 江:姜蒋 程:陈成 卢:陆鲁 陆:卢路 邱:丘秋 严:颜阎 闫:严阎 韩:寒 唐:汤 汤:唐 "
    "付:傅符 范:樊 钟:仲"
)

# near-form characters (OCR of business cards, hand-written forms keyed in)
NEAR_FORM: dict[str, str] = _pairs(
    "侯候 候侯 戴载 己已 已己 未末 王玉 土士 日曰 人入 大太 天夭 杨扬 娟涓 婷亭 瑞端 辉挥 峰锋 "
    "博傅 徐涂 彭澎 汪江 江汪 林材 明朋 泰秦 秦泰 余佘 田由 由田 申甲 贾贯 晶品 鹏朋 斌赋 浩洁 "
    "俊浚 霞瑕 号吕 栋拣 园圆 区匹"
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武"
    "戴莫孔汤"
)
# approximate national frequencies (%), in SURNAMES order, then a flat tail
_SUR_W = [7.1, 7.0, 6.8, 5.4, 4.6, 3.1, 2.2, 2.1, 2.0, 1.9, 1.6, 1.5, 1.5, 1.3, 1.3, 1.2, 1.2]
_SUR_W += [1.1, 1.1, 0.9, 0.9, 0.9, 0.8, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5]
SURNAME_W = Weighted(
    list(SURNAMES) + ["欧阳", "司马", "上官"],
    _SUR_W + [0.4] * (len(SURNAMES) - len(_SUR_W)) + [0.06, 0.01, 0.01],
)

CN_M1 = (
    "伟强磊军洋勇杰涛明超平刚辉鹏飞波斌宇浩凯健俊帆帅旭宁龙林鑫博亮成东峰晨阳昊毅岩彬锋栋航豪坤翔"
)
CN_F1 = "芳娜敏静丽艳娟霞红玲萍燕慧莉倩颖洁佳梅琴云莹婷雪琳晶丹欣璐蕾薇媛露瑶彤悦姗娇婉馨琦楠芬"
CN_M2 = (
    "建华 建国 建军 国强 志强 志伟 永强 晓明 小明 海波 振华 家豪 立新 新民 正阳 庆华 学军 光明 "
    "天宇 泽宇 宏伟 文彬 俊杰 浩然 子轩 宇航 一鸣 瑞峰 晓东 海涛 国庆 德华 建平 小龙 文杰 志明 "
    "晓峰 永明 春华"
).split()
CN_F2 = (
    "秀英 桂英 秀兰 玉兰 桂兰 海燕 晓燕 丽娟 丽华 文静 子涵 梓涵 雨涵 欣怡 思雨 嘉怡 佳怡 春梅 凤英"
    " 晓红 小红 玉梅 秀梅 淑兰 雅琴 诗涵 雨欣 梦瑶 美玲 秀珍 丽丽 婷婷 晶晶 慧敏 雪梅 玉华 淑芬"
).split()
CN_M_FIRST = "子浩俊宇志建晓家文明天泽一鸿振永国海立新嘉少"
CN_F_FIRST = "晓雨欣思梓诗佳嘉雅梦子丽秀玉春海文美慧婉淑"
for _c in "".join(CN_M2 + CN_F2) + CN_M1 + CN_F1 + CN_M_FIRST + CN_F_FIRST + SURNAMES:
    if _c not in PY and _c not in "珍":
        raise AssertionError(f"no pinyin for {_c}")
PY["珍"] = "zhen"

CN_SINGLE_M = Weighted(list(CN_M1), zipf(len(CN_M1), 0.9))
CN_SINGLE_F = Weighted(list(CN_F1), zipf(len(CN_F1), 0.9))
CN_DOUBLE_M = Weighted(CN_M2, zipf(len(CN_M2), 0.7))
CN_DOUBLE_F = Weighted(CN_F2, zipf(len(CN_F2), 0.7))

ENGLISH_M = (
    "Kevin Jason Tony Jack Eric David Michael Leo Peter Frank Steven Alex Vincent Andy Ryan Simon"
    " Bruce Jerry Henry Sam Allen Jimmy Tom Ben Daniel Chris Sean Jeff Victor Bill"
).split()
ENGLISH_F = (
    "Amy Lily Grace Vivian Cherry Coco Sunny Linda Helen Cindy Anna Emily Jessica Wendy Sophia "
    "Sally Joyce Angela Fiona Iris Tina Catherine Judy Crystal Eva Nancy Kelly Rebecca Yuki Jenny"
).split()
# Hong Kong / Cantonese romanisation of common surnames
CANTONESE: dict[str, str] = _pairs(
    "陈:Chan 黄:Wong 王:Wong 李:Lee 张:Cheung 刘:Lau 吴:Ng 林:Lam 郑:Cheng 何:Ho 梁:Leung 周:Chow "
    "谢:Tse 罗:Law 郭:Kwok 叶:Yip 曾:Tsang 邓:Tang 冯:Fung 杨:Yeung 朱:Chu 许:Hui 潘:Poon 蔡:Choi "
    "卢:Lo 钟:Chung 徐:Tsui 袁:Yuen 赵:Chiu 高:Ko 莫:Mok 唐:Tong 彭:Pang 谭:Tam"
)


@dataclass(frozen=True)
class CnCity:
    name: str
    province: str  # "" for the four municipalities
    area: str  # trunk-prefixed area code, e.g. "0755"
    pinyin: str
    districts: tuple[tuple[str, str], ...]
    postcode: int
    adcode: str
    weight: float


def _d(s: str) -> tuple[tuple[str, str], ...]:
    return tuple((a, b) for a, b in (x.split(":") for x in s.split()))


#: name | province | area code | pinyin | postcode base | adcode | weight
_CN_CITY_TABLE = """
北京||010|Beijing|100000|1101|14
上海||021|Shanghai|200000|3101|14
广州|广东省|020|Guangzhou|510000|4401|9
深圳|广东省|0755|Shenzhen|518000|4403|10
杭州|浙江省|0571|Hangzhou|310000|3301|7
南京|江苏省|025|Nanjing|210000|3201|4
苏州|江苏省|0512|Suzhou|215000|3205|4
成都|四川省|028|Chengdu|610000|5101|5
武汉|湖北省|027|Wuhan|430000|4201|4
天津||022|Tianjin|300000|1201|3
重庆||023|Chongqing|400000|5001|3
西安|陕西省|029|Xi'an|710000|6101|3
厦门|福建省|0592|Xiamen|361000|3502|2
青岛|山东省|0532|Qingdao|266000|3702|2
东莞|广东省|0769|Dongguan|523000|4419|2
宁波|浙江省|0574|Ningbo|315000|3302|2
郑州|河南省|0371|Zhengzhou|450000|4101|2
长沙|湖南省|0731|Changsha|410000|4301|2
沈阳|辽宁省|024|Shenyang|110000|2101|2
合肥|安徽省|0551|Hefei|230000|3401|2
济南|山东省|0531|Jinan|250000|3701|1.5
福州|福建省|0591|Fuzhou|350000|3501|1.5
佛山|广东省|0757|Foshan|528000|4406|1.5
无锡|江苏省|0510|Wuxi|214000|3202|1.5
昆明|云南省|0871|Kunming|650000|5301|1.5
"""
#: city followed by its districts (hanzi:pinyin); a city may continue on the next line
_CN_DISTRICT_TABLE = """
北京 朝阳区:Chaoyang 海淀区:Haidian 东城区:Dongcheng 西城区:Xicheng 丰台区:Fengtai 通州区:Tongzhou
北京 昌平区:Changping 大兴区:Daxing
上海 浦东新区:Pudong 徐汇区:Xuhui 静安区:Jing'an 黄浦区:Huangpu 长宁区:Changning 闵行区:Minhang
上海 杨浦区:Yangpu 普陀区:Putuo
广州 天河区:Tianhe 越秀区:Yuexiu 海珠区:Haizhu 白云区:Baiyun 番禺区:Panyu 黄埔区:Huangpu
深圳 南山区:Nanshan 福田区:Futian 罗湖区:Luohu 宝安区:Bao'an 龙岗区:Longgang 龙华区:Longhua
杭州 西湖区:Xihu 滨江区:Binjiang 余杭区:Yuhang 拱墅区:Gongshu 上城区:Shangcheng 萧山区:Xiaoshan
南京 鼓楼区:Gulou 玄武区:Xuanwu 秦淮区:Qinhuai 建邺区:Jianye 江宁区:Jiangning
苏州 姑苏区:Gusu 吴中区:Wuzhong 相城区:Xiangcheng 虎丘区:Huqiu 吴江区:Wujiang
成都 锦江区:Jinjiang 武侯区:Wuhou 青羊区:Qingyang 成华区:Chenghua 金牛区:Jinniu
武汉 江汉区:Jianghan 武昌区:Wuchang 洪山区:Hongshan 江岸区:Jiang'an 汉阳区:Hanyang
天津 和平区:Heping 河西区:Hexi 南开区:Nankai 滨海新区:Binhai
重庆 渝中区:Yuzhong 江北区:Jiangbei 南岸区:Nan'an 渝北区:Yubei 沙坪坝区:Shapingba
西安 雁塔区:Yanta 碑林区:Beilin 未央区:Weiyang 莲湖区:Lianhu
厦门 思明区:Siming 湖里区:Huli 集美区:Jimei
青岛 市南区:Shinan 市北区:Shibei 崂山区:Laoshan 黄岛区:Huangdao
东莞 南城街道:Nancheng 东城街道:Dongcheng 长安镇:Chang'an 虎门镇:Humen
宁波 鄞州区:Yinzhou 海曙区:Haishu 江北区:Jiangbei 北仑区:Beilun
郑州 金水区:Jinshui 二七区:Erqi 中原区:Zhongyuan 管城回族区:Guancheng
长沙 岳麓区:Yuelu 芙蓉区:Furong 天心区:Tianxin 开福区:Kaifu
沈阳 和平区:Heping 沈河区:Shenhe 皇姑区:Huanggu 铁西区:Tiexi
合肥 蜀山区:Shushan 包河区:Baohe 庐阳区:Luyang
济南 历下区:Lixia 市中区:Shizhong 槐荫区:Huaiyin
福州 鼓楼区:Gulou 台江区:Taijiang 仓山区:Cangshan
佛山 禅城区:Chancheng 南海区:Nanhai 顺德区:Shunde
无锡 梁溪区:Liangxi 滨湖区:Binhu 新吴区:Xinwu
昆明 五华区:Wuhua 盘龙区:Panlong 官渡区:Guandu
"""
_CN_DISTRICTS: dict[str, list[str]] = {}
for _ln in _CN_DISTRICT_TABLE.strip().splitlines():
    _city, _rest = _ln.split(" ", 1)
    _CN_DISTRICTS.setdefault(_city, []).append(_rest)
CN_CITIES: list[CnCity] = [
    CnCity(n, p, a, py, _d(" ".join(_CN_DISTRICTS[n])), int(pc), ad, float(w))
    for n, p, a, py, pc, ad, w in (ln.split("|") for ln in _CN_CITY_TABLE.strip().splitlines())
]
CN_CITY_W = Weighted(CN_CITIES, [c.weight for c in CN_CITIES])
CN_CITY_BY_NAME = {c.name: c for c in CN_CITIES}

STREET_STEMS: list[tuple[str, str]] = _pair_list(
    "中山:Zhongshan 人民:Renmin 解放:Jiefang 建设:Jianshe 和平:Heping 新华:Xinhua 胜利:Shengli "
    "延安:Yan'an 科技:Keji 创业:Chuangye 学院:Xueyuan 工业:Gongye 文化:Wenhua 青年:Qingnian "
    "光明:Guangming 黄河:Huanghe 长江:Changjiang 滨河:Binhe 东风:Dongfeng 朝阳:Chaoyang "
    "幸福:Xingfu 团结:Tuanjie 友谊:Youyi 迎宾:Yingbin 金融:Jinrong 高新:Gaoxin 软件:Ruanjian "
    "创新:Chuangxin 天府:Tianfu 世纪:Shiji 南京:Nanjing 北京:Beijing"
)
STREET_SUFFIX = [
    ("路", "Road", 8),
    ("大道", "Avenue", 3),
    ("街", "Street", 2),
    ("东路", "East Road", 2),
    ("西路", "West Road", 2),
    ("南路", "South Road", 1.5),
    ("北路", "North Road", 1.5),
    ("中路", "Middle Road", 1),
    ("一路", "1st Road", 1),
    ("二路", "2nd Road", 1),
]
BUILDING_STEMS: list[tuple[str, str]] = _pair_list(
    "国贸:Guomao 华润:Huarun 万达:Wanda 环球:Huanqiu 世纪:Shiji 中信:Zhongxin 招商:Zhaoshang "
    "时代:Shidai 财富:Caifu 东方:Dongfang 新世界:Xinshijie 恒隆:Henglong 嘉里:Jiali "
    "太平洋:Taipingyang 银河:Yinhe 天安:Tian'an 创新:Chuangxin 软件:Ruanjian 金融:Jinrong "
    "数码:Shuma"
)
BUILDING_KINDS = [
    ("大厦", "Building"),
    ("中心", "Center"),
    ("广场", "Plaza"),
    ("科技园", "Science Park"),
    ("产业园", "Industrial Park"),
    ("国际中心", "International Center"),
    ("商务中心", "Business Center"),
]
ESTATE_KINDS = ["花园", "小区", "苑", "家园", "公寓", "新村", "华庭", "名都"]
CN_DIGITS = "零一二三四五六七八九"


def cn_numeral(n: int) -> str:
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return str(n)


MOBILE_PREFIXES = (
    "130 131 132 133 134 135 136 137 138 139 145 147 150 151 152 153 155 156 157 158 159 166"
    " 171 173 175 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
MOBILE_PREFIX_W = Weighted(MOBILE_PREFIXES, zipf(len(MOBILE_PREFIXES), 0.3))


def cn_mobile(rng: Rng) -> str:
    return MOBILE_PREFIX_W.draw(rng) + luhn_free_digits(rng, 8)


def cn_mobile_fmt(m: str, rng: Rng, intl: float = 0.1, spaced: float = 0.2) -> str:
    r = rng.random()
    if r < intl:
        return rng.pick(
            [
                f"+86 {m}",
                f"+86{m}",
                f"+86-{m[:3]}-{m[3:7]}-{m[7:]}",
                f"0086{m}",
                f"86-{m}",
                f"(+86) {m[:3]} {m[3:7]} {m[7:]}",
                f"+86 {m[:3]} {m[3:7]} {m[7:]}",
            ]
        )
    if r < intl + spaced:
        return rng.pick(
            [f"{m[:3]} {m[3:7]} {m[7:]}", f"{m[:3]}-{m[3:7]}-{m[7:]}", f"{m[:3]}-{m[3:]}"]
        )
    return m


def cn_landline_fmt(area: str, local: str, rng: Rng, ext: str = "", no_area: float = 0.08) -> str:
    """Chinese fixed-line renderings: 0755-26881234, (0755)2688 1234, +86 755 ..., 转/分机/ext."""
    a = area
    l4 = f"{local[:4]} {local[4:]}" if len(local) == 8 else local
    if rng.p(no_area):
        base = rng.pick([local, l4])
    else:
        base = rng.wpick(
            [
                (f"{a}-{local}", 10),
                (f"({a}){local}", 2),
                (f"{a} {l4}", 2),
                (f"{a}{local}", 2),
                (f"+86 {a[1:]} {local}", 1),
                (f"+86-{a[1:]}-{local}", 1),
                (f"{a}-{l4}", 1),
                (f"（{a}）{local}", 0.5),
            ]
        )
    if ext:
        base += rng.wpick(
            [
                (f"-{ext}", 4),
                (f"转{ext}", 4),
                (f" 转{ext}", 2),
                (f" ext.{ext}", 1),
                (f"(分机{ext})", 1),
                (f"-转-{ext}", 0.5),
                (f"#{ext}", 0.5),
            ]
        )
    return base


def cn_landline_local(rng: Rng, exchange: str | None = None) -> str:
    if exchange:
        return exchange + luhn_free_digits(rng, 4)
    return str(rng.randint(2, 8)) + luhn_free_digits(rng, 7)


def py_of(s: str) -> list[str]:
    """Syllables of a name; compound surnames come back as one item."""
    out: list[str] = []
    i = 0
    while i < len(s):
        if s[i : i + 2] in PY:
            out.append(PY[s[i : i + 2]])
            i += 2
        else:
            out.append(PY.get(s[i], "x"))
            i += 1
    return out


def lue(p: str, rng: Rng) -> str:
    """ü has no agreed ASCII spelling: lü -> lv / lu / lyu / lue."""
    if "ü" not in p:
        return p
    return p.replace("ü", rng.pick(["v", "u", "yu", "ue"]))


def cn_id_number(rng: Rng, adcode: str, birth: dt.date, male: bool) -> str:
    region = adcode + f"{rng.randint(1, 9):02d}"
    seq = rng.randrange(0, 100) * 10 + (
        rng.pick([1, 3, 5, 7, 9]) if male else rng.pick([0, 2, 4, 6, 8])
    )
    body = region + birth.strftime("%Y%m%d") + f"{seq:03d}"
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]


def cn_typo(s: str, rng: Rng, table: dict[str, str]) -> str:
    """Replace one character that has an entry in `table` (homophone or near-form)."""
    idx = [i for i, c in enumerate(s) if c in table]
    if not idx:
        return s
    i = rng.pick(idx)
    return s[:i] + rng.pick(table[s[i]]) + s[i + 1 :]


CN_DATE_FORMATS: list[tuple[str, float]] = [
    ("{y}-{m:02d}-{d:02d}", 5),
    ("{y}/{m}/{d}", 4),
    ("{y}年{m}月{d}日", 3),
    ("{y}{m:02d}{d:02d}", 2),
    ("{y}.{m}.{d}", 1),
    ("{y}/{m:02d}/{d:02d}", 2),
    ("{m}月{d}日", 0.0),
]

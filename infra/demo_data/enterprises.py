"""Demo SMEs in three provinces."""
from stdnum.cn import uscc as uscc_standard

from chassis.errors import Conflict


def uscc(body17):
    return body17 + uscc_standard.calc_check_digit(body17)


ENTERPRISES = [
    {"uscc": uscc("91110105MA01A0001"), "name": "北京朝阳智造科技有限公司", "region_code": "110105",
     "industry_code": "C39", "employees": 86, "revenue": 5200},
    {"uscc": uscc("91110105MA01A0002"), "name": "北京望京软件服务有限公司", "region_code": "110105",
     "industry_code": "I65", "employees": 24, "revenue": 830},
    {"uscc": uscc("91320102MA1XB0003"), "name": "南京玄武精密仪器有限公司", "region_code": "320102",
     "industry_code": "C40", "employees": 150, "revenue": 12000},
    {"uscc": uscc("91440305MA5FC0004"), "name": "深圳南山跨境贸易有限公司", "region_code": "440305",
     "industry_code": "F51", "employees": 12, "revenue": 2400},
]


def load(services):
    registered = 0
    for enterprise in ENTERPRISES:
        try:
            services.enterprises.register(enterprise)
            registered += 1
        except Conflict:
            pass
    return registered

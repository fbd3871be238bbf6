"""The national skeleton (全国骨架): one agency per province, city and county.

Generated from the GB/T 2260 division codes in use today, under one national
agency. City-level slots that are no city of their own (110100 市辖区, 429000
省直辖县级行政单位 ...) get no agency; their counties hang under the province.
台湾, 香港 and 澳门 are left out (see :data:`domain.OUTSIDE_NETWORK`).

``python -m services.agencies.skeleton`` asks the running agencies service to
load it (idempotent: existing agencies are kept as they are).
"""
from reference import regions
from services.agencies import domain
from services.agencies.schemas import NATIONWIDE

NATIONAL_NAME = "全国中小企业服务中心"
SUFFIX = "中小企业服务中心"


def national_skeleton():
    """Every agency of the skeleton, parents before children, as rows to store.

    Each row names its parent by region code (``parent_region``).
    """
    divisions = [division for division in regions.active_divisions()
                 if division.code[:2] not in domain.OUTSIDE_NETWORK]
    by_code = {division.code: division for division in divisions}
    rows = [_row(NATIONAL_NAME, "national", NATIONWIDE, None)]
    for division in divisions:
        province = by_code[regions.province_of(division.code)]
        if division.level == regions.PROVINCE:
            rows.append(_row(division.name + SUFFIX, "province", division.code, NATIONWIDE))
        elif division.level == regions.CITY and not domain.is_city_slot(division):
            rows.append(_row(division.name + SUFFIX, "city", division.code, province.code))
        elif division.level == regions.COUNTY:
            city = by_code.get(regions.city_of(division.code) or "")
            if city is None or domain.is_city_slot(city):
                above = province
            else:
                above = city
            rows.append(_row(above.name + division.name + SUFFIX, "county", division.code, above.code))
    return rows


def _row(name, level, region_code, parent_region):
    return {
        "name": name,
        "level": level,
        "region_code": region_code,
        "region_prefix": domain.coverage_prefix(region_code),
        "depth": domain.LEVEL_DEPTH[level],
        "parent_region": parent_region,
        "service_areas": list(domain.DEFAULT_AREAS[level]),
    }


def main():
    """Load the skeleton into the running network and print what was created."""
    import os

    from nameko.standalone.rpc import ClusterRpcProxy

    from chassis import config as process_config

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    config = process_config.load(os.path.join(root, "services/agencies/config.yml"))
    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, timeout=60) as services:
        result = services.agencies.generate_skeleton()
    print(f"national skeleton: {result['created']} agencies created, {result['total']} in the network")


if __name__ == "__main__":
    main()

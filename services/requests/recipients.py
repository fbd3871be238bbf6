"""Who a request may be handed to, free of I/O: the agency of a transfer (转办) and the
provider that does the work.

A transfer moves a request sideways or down, never out of reach of the
holder's supervision: the target is an active agency that offers the
request's service area and lies within the region of the agency holding it or
of that agency's parent (going up is escalation, with its own rules). A
provider named on accept, start or resolve is one the network admitted in the
request's service area whose region covers the request, because its ratings
and its exit from the library follow from the requests it is named on.
"""
from chassis.errors import ValidationFailed
from reference import regions


def within(region_code, coverage_of):
    """Whether ``region_code`` lies in the region of an agency or provider at ``coverage_of``."""
    return str(region_code).startswith(regions.coverage_prefix(coverage_of))


def transfer_problem(target, holder, parent, service_area):
    """Why ``target`` may not take a request in ``service_area`` from ``holder`` (whose parent
    is ``parent``, None at national level); None when it may."""
    if not target.get("active", True):
        return f"agency {target['id']} is not active"
    if service_area not in target.get("service_areas", ()):
        return f"agency {target['id']} does not offer the service area {service_area}"
    supervisor = parent or holder
    if not within(target["region_code"], supervisor["region_code"]):
        return (f"agency {target['id']} ({target['region_code']}) lies outside the region "
                f"{supervisor['region_code']} of the holding agency or its parent; "
                f"a request goes up only by escalation")
    return None


def check_transfer(target, holder, parent, service_area):
    problem = transfer_problem(target, holder, parent, service_area)
    if problem:
        raise ValidationFailed(f"a transfer goes only to an active agency offering the request's "
                               f"area within the region of its holder or the holder's parent: {problem}",
                               {"target_agency_id": [problem]})


def provider_problem(provider, request):
    """Why ``provider`` may not be named on ``request``; None when it may."""
    admitted = {membership["service_area"] for membership in provider.get("memberships", ())
                if membership.get("state") == "admitted"}
    if request["service_area"] not in admitted:
        return f"provider {provider['id']} is not admitted in the service area {request['service_area']}"
    if not within(request["region_code"], provider["region_code"]):
        return (f"provider {provider['id']} ({provider['region_code']}) does not cover the region "
                f"{request['region_code']} of the request")
    return None


def check_provider(provider, request):
    problem = provider_problem(provider, request)
    if problem:
        raise ValidationFailed(f"provider_id must name an admitted provider whose region and service "
                               f"areas cover the request: {problem}", {"provider_id": [problem]})

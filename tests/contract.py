"""The served contract checked against what the gateway answers.

``Contract(document).violations(method, path, status, body)`` lists how one answer
departs from the OpenAPI document: an undocumented status, or a JSON body off its
response schema (a field missing that is ``required``, a null where the schema
does not say ``nullable``, a value outside its ``enum`` or ``pattern``). The
end-to-end client runs every answer of every test through it.
"""
import re

from openapi_schema_validator import OAS31Validator, oas31_format_checker

_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")


class Contract:
    def __init__(self, document):
        self.document = document
        self._operations = []
        for path, operations in document["paths"].items():
            parts = _TEMPLATE_PARAM.split(path)
            # An integer parameter (<int:…> in the route) matches digits only, as the gateway's routing does.
            integers = {parameter["name"] for operation in operations.values()
                        for parameter in operation.get("parameters", [])
                        if isinstance(parameter, dict) and parameter.get("in") == "path"
                        and parameter.get("schema", {}).get("type") == "integer"}
            pattern = re.compile("^" + "".join(re.escape(part) if index % 2 == 0 else
                                               "-?[0-9]+" if part in integers else "[^/]+"
                                               for index, part in enumerate(parts)) + "/?$")
            for method, operation in operations.items():
                self._operations.append((pattern, path.count("{"), method.upper(), operation))
        # Literal paths win over templated ones (/requests/stats before /requests/{id}).
        self._operations.sort(key=lambda entry: entry[1])
        self._validators = {}

    def operation(self, method, path):
        for pattern, _, op_method, operation in self._operations:
            if op_method == method.upper() and pattern.match(path):
                return operation
        return None

    def schema_of(self, method, path, status):
        """The response schema documented for ``status`` (None: no JSON body documented);
        raises KeyError for an undocumented status of a documented operation."""
        operation = self.operation(method, path)
        if operation is None:
            return None
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if response is None:
            raise KeyError(status)
        return response.get("content", {}).get("application/json", {}).get("schema")

    def violations(self, method, path, status, body):
        """How an answer departs from the document: a list of one-line messages."""
        try:
            schema = self.schema_of(method, path, status)
        except KeyError:
            return [f"{method} {path}: status {status} is not documented"]
        if schema is None:
            return []
        key = id(schema)
        if key not in self._validators:
            root = dict(schema, components=self.document["components"])
            self._validators[key] = OAS31Validator(root, format_checker=oas31_format_checker)
        return [f"{method} {path} {status}: at {'/'.join(map(str, error.absolute_path)) or '(body)'}: "
                f"{error.message[:300]}"
                for error in self._validators[key].iter_errors(body)]

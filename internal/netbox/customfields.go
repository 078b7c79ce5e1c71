package netbox

const customFieldsPath = "/api/extras/custom-fields/"
